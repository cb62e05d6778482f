// swift-tools-version:5.9
// Kestrel for Swift: the UniFFI-generated bindings of bindings-uniffi over the Rust core,
// linked as an xcframework. Build it on macOS as the README ("Kotlin, Java and Swift") describes
// (generate.sh, then the xcframework); the generated sources are not committed.
import PackageDescription

let package = Package(
    name: "KestrelRouter",
    platforms: [.macOS(.v12), .iOS(.v15)],
    products: [
        .library(name: "KestrelFFI", targets: ["KestrelFFI"]),
    ],
    targets: [
        .binaryTarget(name: "KestrelFFIFFI", path: "KestrelFFIFFI.xcframework"),
        .target(name: "KestrelFFI", dependencies: ["KestrelFFIFFI"], path: "Sources/KestrelFFI"),
    ]
)
