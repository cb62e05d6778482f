//! One published name everywhere: the Python wheel, the npm package and this crate are all
//! `kestrel-router` (`kestrel` is another project on PyPI, npm and crates.io), and the Python
//! import package is `kestrel_router`, so it never overwrites another project's `kestrel/`.

use std::path::Path;

const NAME: &str = "kestrel-router";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn toml_name(path: &str, table: &str) -> String {
    let text = std::fs::read_to_string(repo().join(path)).unwrap();
    let doc: toml::Table = text.parse().unwrap();
    doc[table]["name"].as_str().unwrap().to_string()
}

#[test]
fn the_wheel_the_npm_package_and_the_crate_share_one_name() {
    assert_eq!(toml_name("core/Cargo.toml", "package"), NAME);
    assert_eq!(toml_name("pyproject.toml", "project"), NAME);
    let package: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("package.json")).unwrap()).unwrap();
    assert_eq!(package["name"], NAME);
    // The published npm package (the root package.json is the same package built from source)
    // and its prebuilt platform packages, which the Node loader finds by this name.
    let published: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("bindings-node/package.json")).unwrap()).unwrap();
    assert_eq!(published["name"], NAME);
    for platform in published["optionalDependencies"].as_object().unwrap().keys() {
        assert!(platform.starts_with(&format!("{NAME}-")), "{platform}");
    }
    let lock: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("package-lock.json")).unwrap()).unwrap();
    assert_eq!(lock["packages"][""]["name"], NAME);

    // The Python import package and its native module follow the distribution's name.
    let import = NAME.replace('-', "_");
    let pyproject: toml::Table = std::fs::read_to_string(repo().join("pyproject.toml")).unwrap().parse().unwrap();
    assert_eq!(pyproject["tool"]["maturin"]["module-name"].as_str(), Some(format!("{import}._native").as_str()));
    assert!(repo().join("bindings-python/python").join(&import).join("__init__.py").is_file());
}
