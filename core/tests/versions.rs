//! One version number for the crate, the Python wheel and the npm packages: a release
//! publishes all three from one tag, and the Node loader refuses a platform package whose
//! version differs from the main package's (the addon and its JS layer ship together).

use std::path::Path;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn toml(path: &str) -> toml::Table {
    read(path).parse().unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json(path: &str) -> serde_json::Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The workspace's version: every crate inherits it, and maturin gives it to the wheel.
fn version() -> String {
    toml("Cargo.toml")["workspace"]["package"]["version"].as_str().unwrap().to_string()
}

#[test]
fn the_crate_and_the_native_crates_inherit_the_workspace_version() {
    assert_eq!(env!("CARGO_PKG_VERSION"), version());
    for manifest in ["core/Cargo.toml", "bindings-python/Cargo.toml", "bindings-node/Cargo.toml"] {
        let package = &toml(manifest)["package"];
        assert_eq!(
            package["version"]["workspace"].as_bool(),
            Some(true),
            "{manifest} must say version.workspace = true"
        );
    }
}

#[test]
fn the_wheel_takes_its_version_from_cargo() {
    // maturin fills a dynamic version from the manifest it builds (bindings-python/Cargo.toml),
    // so the wheel cannot drift; a literal `version` in pyproject.toml would override it.
    let pyproject = toml("pyproject.toml");
    let project = &pyproject["project"];
    assert!(project.get("version").is_none(), "pyproject.toml must not pin a version");
    let dynamic: Vec<&str> = project["dynamic"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    assert!(dynamic.contains(&"version"), "pyproject.toml must list version as dynamic");
    assert_eq!(pyproject["tool"]["maturin"]["manifest-path"].as_str(), Some("bindings-python/Cargo.toml"));
}

#[test]
fn every_npm_package_has_the_version_and_the_main_package_requires_exactly_it() {
    let version = version();
    assert_eq!(json("package.json")["version"], version.as_str(), "package.json (built from source)");
    let lock = json("package-lock.json");
    assert_eq!(lock["version"], version.as_str(), "package-lock.json");
    assert_eq!(lock["packages"][""]["version"], version.as_str(), "package-lock.json");

    let main = json("bindings-node/package.json");
    assert_eq!(main["version"], version.as_str(), "bindings-node/package.json (the published package)");
    let optional = main["optionalDependencies"].as_object().expect("the platform packages are optionalDependencies");
    assert!(optional.len() >= 5, "one platform package per release target: {optional:?}");

    let mut dirs: Vec<String> = std::fs::read_dir(repo().join("bindings-node/npm"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    dirs.sort();
    let mut listed: Vec<String> =
        optional.keys().map(|k| k.strip_prefix("kestrel-router-").unwrap_or(k).to_string()).collect();
    listed.sort();
    assert_eq!(listed, dirs, "optionalDependencies and bindings-node/npm/ must list the same platforms");

    for (name, range) in optional {
        assert_eq!(range, version.as_str(), "{name}: the main package pins its platform packages' exact version");
        let suffix = name.strip_prefix("kestrel-router-").unwrap();
        let platform = json(&format!("bindings-node/npm/{suffix}/package.json"));
        assert_eq!(platform["name"], name.as_str());
        assert_eq!(platform["version"], version.as_str(), "{name}");
    }
}

#[test]
fn the_changelog_starts_with_this_version() {
    let changelog = read("CHANGELOG.md");
    let heading = changelog.lines().find(|l| l.starts_with("## ")).expect("CHANGELOG.md has a release heading");
    let first = heading.trim_start_matches("## ").split_whitespace().next().unwrap().trim_matches(['[', ']']);
    assert_eq!(first, version(), "the newest CHANGELOG.md entry is {heading:?}");
}
