// swift-tools-version:5.10
// SRCNN Upscale: a Swift SRCNN engine, its command-line tool and (later) a GIMP 2.10 plug-in.
import PackageDescription

let fast: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

let package = Package(
    name: "SRCNNUpscale",
    products: [
        .executable(name: "srcnn", targets: ["srcnn"]),
        .library(name: "SRCNN", targets: ["SRCNN"]),
        // The GIMP 2.10 plug-in: the C shim executable and the Swift library it loads from its own folder.
        .executable(name: "srcnn-upscale", targets: ["srcnn-upscale"]),
        .library(name: "SRCNNGimp", type: .dynamic, targets: ["SRCNNGimp"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries from Debian, found through pkg-config (OpenBLAS is loaded at run time: CBLAS below).
        .systemLibrary(name: "CVips", path: "Sources/CVips", pkgConfig: "vips", providers: [.apt(["libvips-dev"])]),
        // Plain C wrapper over libvips' variadic API: streaming reads and writes of image files as float rows.
        .target(name: "CVipsIO", dependencies: ["CVips"], linkerSettings: [.linkedLibrary("gmodule-2.0")]),
        // The engine: planes, colour, resize, the network, weights, tiling, metrics. No GIMP, no files.
        // AVX-512 kernels, compiled for that instruction set and called only after a runtime CPU check.
        // What the kernel families share (vector types, transform rows), for the baseline CPU.
        .target(name: "SRCNNKernelCommon", swiftSettings: fast),
        .target(name: "SRCNNKernelsAVX512", dependencies: ["SRCNNKernelCommon"],
                swiftSettings: [.unsafeFlags(["-target-cpu", "skylake-avx512"]),
                                .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]),
        // AVX2+FMA kernels (256-bit, every x86-64 CPU since 2013), likewise called only after the CPU check.
        .target(name: "SRCNNKernelsAVX2", dependencies: ["SRCNNKernelCommon"],
                swiftSettings: [.unsafeFlags(["-target-cpu", "haswell"]),
                                .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]),
        // FSRCNN's planar row kernels in C, one set per family (target attributes), with a portable generic set.
        .target(name: "CFSRCNN"),
        // SRCNN's Winograd transforms for 8 x 8 tiles in C, one set per family, likewise with a generic set.
        .target(name: "CWinograd"),
        // CPUID/XGETBV: which instruction sets the CPU and the OS support.
        .target(name: "CCPUID"),
        // OpenBLAS (Debian's libopenblas0), loaded with dlopen the first time the BLAS kernels run.
        .target(name: "CBLAS", dependencies: ["CCPUID"], linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "SRCNN", dependencies: ["CBLAS", "CCPUID", "CFSRCNN", "CWinograd", "SRCNNKernelCommon", "SRCNNKernelsAVX512", "SRCNNKernelsAVX2"],
                swiftSettings: fast),
        // The host layer shared by the CLI, the plug-in and the trainer: files (reads, atomic writes, weights by
        // path), shipped-weights discovery, image folders, the one scale -> size rule.
        .target(name: "SRCNNHost", dependencies: ["SRCNN"], swiftSettings: fast),
        // The trainer: backward passes, optimisers, patch data, checkpoints (the CLI links it; the plug-in must not).
        .target(name: "SRCNNTraining", dependencies: ["SRCNN", "SRCNNHost", "CBLAS", "SRCNNKernelsAVX512"],
                swiftSettings: fast),
        // Image files <-> engine planes and streaming sources/sinks, through libvips.
        .target(name: "SRCNNImageIO", dependencies: ["SRCNN", "SRCNNHost", "CVipsIO"], swiftSettings: fast),
        .executableTarget(name: "srcnn", dependencies: [
            "SRCNN", "SRCNNHost", "SRCNNImageIO", "SRCNNTraining",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: fast),
        // GIMP 2.10: libgimp, libgimpui (GTK2) and GEGL through pkg-config.
        .systemLibrary(name: "CGimp", path: "Sources/CGimp", pkgConfig: "gimpui-2.0",
                       providers: [.apt(["libgimp2.0-dev", "libgtk2.0-dev"])]),
        // The plug-in's GIMP-free core: settings and their checks, the job's region, the progress plan.
        .target(name: "SRCNNPluginCore", dependencies: ["SRCNN", "SRCNNHost"], swiftSettings: fast),
        // The plug-in's GIMP 2.10 adapter (PDB registration, GEGL pixels, undo, progress), exported with @_cdecl.
        .target(name: "SRCNNGimp", dependencies: ["SRCNN", "SRCNNHost", "SRCNNPluginCore", "CGimp", "SRCNNGimpUI"],
                swiftSettings: fast),
        // The GTK2 dialog, in C (gimp_dialog_new is variadic).
        .target(name: "SRCNNGimpUI", dependencies: ["CGimp"],
                cSettings: [.define("GLIB_DISABLE_DEPRECATION_WARNINGS")]),
        // The plug-in executable: PLUG_IN_INFO + MAIN() in C, forwarding to libSRCNNGimp.so beside it.
        .executableTarget(name: "srcnn-upscale", dependencies: ["CGimp"], path: "Plugin/shim"),
        // The checkpoint fuzz harness (Tests/Fuzz/run.sh builds it with libFuzzer; plain builds make seeds, replay).
        .executableTarget(name: "fuzz-checkpoint", dependencies: ["SRCNN", "SRCNNTraining", "CFuzzDriver"],
                          path: "Tests/Fuzz/Checkpoint"),
        .target(name: "CFuzzDriver", path: "Tests/Fuzz/Driver"),
        // Helpers shared by the end-to-end test targets (../shared guard, child-process runner).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "SRCNNTests", dependencies: ["SRCNN", "SRCNNHost", "CWinograd"], exclude: ["Fixtures"]),
        .testTarget(name: "PluginCoreTests", dependencies: ["SRCNNPluginCore"]),
        .testTarget(name: "ImageIOTests", dependencies: ["SRCNN", "SRCNNImageIO"]),
        .testTarget(name: "TrainingTests", dependencies: ["SRCNN", "SRCNNHost", "SRCNNImageIO", "SRCNNTraining", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["SRCNN", "SRCNNHost", "SRCNNTraining", "SRCNNImageIO", "srcnn", "TestSupport"]),
        .testTarget(name: "PluginTests", dependencies: ["SRCNN", "SRCNNHost", "SRCNNImageIO", "CGimp", "srcnn-upscale", "srcnn", "TestSupport"]),
    ]
)
