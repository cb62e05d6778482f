//! UniFFI's binding generator at the exact uniffi version the library was built with, so
//! generated Kotlin and Swift always match the scaffolding in the `.so`/`.dylib`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
