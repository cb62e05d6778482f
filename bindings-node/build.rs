//! Links the addon the way Node loads it (napi symbols from the host process).

fn main() {
    napi_build::setup();
}
