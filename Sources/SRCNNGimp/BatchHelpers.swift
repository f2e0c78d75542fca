// Two small PDB procedures for Plugin/srcnn-batch.scm, which Script-Fu cannot do itself: create the output folder
// before any work, and print plain progress lines (gimp-message prints every line as a "script-fu-Warning").
import CGimp
import FoundationEssentials
import Glibc

let prepareFolderProcedure = "plug-in-srcnn-batch-prepare-folder"
let reportProcedure = "plug-in-srcnn-batch-report"

func installBatchHelpers() {
    func install(_ name: String, _ blurb: String, _ arg: (String, String)) {
        let params = UnsafeMutablePointer<GimpParamDef>.allocate(capacity: 2)
        params[0] = GimpParamDef(type: GIMP_PDB_INT32, name: strdup("run-mode"), description: strdup("The run mode"))
        params[1] = GimpParamDef(type: GIMP_PDB_STRING, name: strdup(arg.0), description: strdup(arg.1))
        gimp_install_procedure(name, blurb, blurb, "SRCNN Upscale contributors", "SRCNN Upscale contributors", "2026",
                               nil, nil, GIMP_PLUGIN, 2, 0, params, nil)
    }
    install(prepareFolderProcedure, "Create a folder (and its parents) for srcnn-batch-upscale, or fail saying why",
            ("folder", "The output folder"))
    install(reportProcedure, "Print one line of srcnn-batch-upscale progress on standard output",
            ("line", "The text"))
}

/// Runs a helper procedure; nil when `name` is not one of them.
func runBatchHelper(_ name: String, _ param: UnsafePointer<GimpParam>, count: Int) throws -> Bool {
    guard name == prepareFolderProcedure || name == reportProcedure else { return false }
    guard count == 2, let raw = param[1].data.d_string else {
        throw PluginError(message: "\(name) takes 2 arguments (run-mode, text), got \(count)")
    }
    let text = String(cString: raw)
    if name == reportProcedure {
        print(text)
        fflush(stdout)
        return true
    }
    var folder = text
    while folder.count > 1 && folder.hasSuffix("/") { folder.removeLast() }
    guard !folder.isEmpty else { throw PluginError(message: "no output folder given") }
    // mkdir -p, one component at a time, each failure named with the system's reason.
    var prefix = folder.hasPrefix("/") ? "" : "."
    for part in folder.split(separator: "/") {
        prefix += "/" + part
        var st = stat()
        if stat(prefix, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else {
                throw PluginError(message: "the output folder '\(text)' cannot be made: '\(prefix)' is a file")
            }
        } else if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
            throw PluginError(message: "cannot create the output folder '\(prefix)': \(String(cString: strerror(errno)))")
        }
    }
    guard access(folder, W_OK) == 0 else { throw PluginError(message: "the output folder '\(text)' is not writable") }
    return true
}
