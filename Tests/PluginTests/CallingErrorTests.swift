// The run entry point the C shim forwards to, called directly: a wrong argument count is a calling error
// (GIMP itself always passes the registered arguments, so this cannot be provoked from Script-Fu).
import CGimp
import Foundation
import XCTest

final class CallingErrorTests: XCTestCase {
    typealias RunFunction = @convention(c) (UnsafePointer<CChar>?, gint, UnsafePointer<GimpParam>?,
                                            UnsafeMutablePointer<gint>?, UnsafeMutablePointer<UnsafeMutablePointer<GimpParam>?>?) -> Void

    func testWrongArgumentCountIsACallingError() throws {
        guard let lib = dlopen(PluginPaths.library.path, RTLD_NOW | RTLD_LOCAL) else {
            return XCTFail("cannot load \(PluginPaths.library.path): \(String(cString: dlerror()))")
        }
        // Never dlclose: unloading Swift code leaves dangling type metadata in the runtime.
        let run = unsafeBitCast(try XCTUnwrap(dlsym(lib, "srcnn_plugin_run")), to: RunFunction.self)
        XCTAssertNotNil(dlsym(lib, "srcnn_plugin_query"))
        var params = [GimpParam](repeating: GimpParam(), count: 3)
        params[0].type = GIMP_PDB_INT32
        params[0].data.d_int32 = 1   // RUN-NONINTERACTIVE
        var count: gint = 0
        var values: UnsafeMutablePointer<GimpParam>?
        params.withUnsafeBufferPointer { run("plug-in-srcnn-upscale", 3, $0.baseAddress, &count, &values) }
        XCTAssertEqual(count, 2)
        let v = try XCTUnwrap(values)
        XCTAssertEqual(v[0].type, GIMP_PDB_STATUS)
        XCTAssertEqual(v[0].data.d_status, GIMP_PDB_CALLING_ERROR)
        XCTAssertEqual(v[1].type, GIMP_PDB_STRING)
        let message = String(cString: try XCTUnwrap(v[1].data.d_string))
        XCTAssertTrue(message.contains("takes 6 arguments"), message)
    }
}
