// The GIMP 2.10 PDB registration: the procedures, their arguments and the menu entry (srcnn_plugin_query).
import CGimp
import FoundationEssentials
import Glibc
import SRCNN
import SRCNNGimpUI
import SRCNNHost
import SRCNNPluginCore

@_cdecl("srcnn_plugin_query")
public func srcnnPluginQuery() {
    let args: [(GimpPDBArgType, String, String)] = [
        (GIMP_PDB_INT32, "run-mode", "The run mode { RUN-INTERACTIVE (0), RUN-NONINTERACTIVE (1), RUN-WITH-LAST-VALS (2) }"),
        (GIMP_PDB_IMAGE, "image", "Input image (it grows by the scale factor)"),
        (GIMP_PDB_DRAWABLE, "drawable", "The layer upscaled with bicubic + SRCNN (the rest of the image: GIMP's cubic scale)"),
        (GIMP_PDB_FLOAT, "scale", "Scale factor, 1 to 8 (any real value)"),
        (GIMP_PDB_STRING, "weights", "Weights (.safetensors, SRCNN or FSRCNN); \"\" or \"srcnn\" = the shipped SRCNN "
         + "model nearest the scale, \"fsrcnn\" = the shipped FSRCNN model for it; \"srcnn-photo\", \"fsrcnn-photo\": "
         + "the same trained on JPEG and noisy input, where shipped"),
        (GIMP_PDB_INT32, "layers", "Layers enhanced with SRCNN { ACTIVE-LAYER (0): the drawable, ALL-LAYERS (1): every pixel layer, "
            + "inside layer groups too }; everything else follows the image's cubic scale"),
    ]
    let params = UnsafeMutablePointer<GimpParamDef>.allocate(capacity: args.count)
    for (i, a) in args.enumerated() {
        params[i] = GimpParamDef(type: a.0, name: strdup(a.1), description: strdup(a.2))
    }
    gimp_install_procedure(
        procedureName,
        "Upscale the image with SRCNN super-resolution",
        "Scales the whole image by the factor with cubic interpolation; the drawable (or, with layers = 1, every "
            + "pixel layer, recursing into groups) is upscaled from its original pixels as `srcnn upscale` does: "
            + "MATLAB-compatible bicubic, then SRCNN (Dong et al. 2014) on the luma; chroma and alpha stay bicubic. "
            + "Weights: a .safetensors file, or \"\" for the shipped model nearest the scale "
            + "(plug-ins/srcnn-upscale/weights/).",
        "SRCNN Upscale contributors", "SRCNN Upscale contributors", "2026",
        "SRCNN Upscale…", "RGB*, GRAY*", GIMP_PLUGIN,
        gint(args.count), 0, params, nil)
    gimp_plugin_menu_register(procedureName, "<Image>/Filters/Enhance")
    // The dialog's Help button: GIMP maps the help ID (the procedure's name) to a page through
    // help/<locale>/gimp-help.xml beside the plug-in (English only: GIMP falls back to it).
    gimp_plugin_help_register(helpDomain, "file://" + pluginFolder() + "/help")
    installToSize(from: args)
    installNewImage(from: args)
    installBatchHelpers()
    installCommit()
}

/// `plug-in-srcnn-upscale-to-size (run-mode, image, drawable, width, height, weights, layers)`: the same upscale to
/// an exact size for scripts (width or height 0: follows the aspect ratio, by the same rounding as the CLI).
func installToSize(from args: [(GimpPDBArgType, String, String)]) {
    let sized: [(GimpPDBArgType, String, String)] = Array(args[0..<3]) + [
        (GIMP_PDB_INT32, "width", "Width of the result in pixels (0: from the height, keeping the aspect ratio)"),
        (GIMP_PDB_INT32, "height", "Height of the result in pixels (0: from the width, keeping the aspect ratio)"),
    ] + Array(args[4..<6])
    let params = UnsafeMutablePointer<GimpParamDef>.allocate(capacity: sized.count)
    for (i, a) in sized.enumerated() {
        params[i] = GimpParamDef(type: a.0, name: strdup(a.1), description: strdup(a.2))
    }
    gimp_install_procedure(
        toSizeProcedureName, "Upscale the image with SRCNN to an exact size",
        "As plug-in-srcnn-upscale, with the result's width and height instead of a factor (the model is the shipped "
            + "one nearest the larger of the two factors when weights is \"\").",
        "SRCNN Upscale contributors", "SRCNN Upscale contributors", "2026", nil, "RGB*, GRAY*", GIMP_PLUGIN,
        gint(sized.count), 0, params, nil)
}

/// `plug-in-srcnn-upscale-new-image (run-mode, image, drawable, scale, weights, layers) -> new-image`: the upscale
/// into a new image (of the selection's bounding box when there is a selection), the original untouched.
func installNewImage(from args: [(GimpPDBArgType, String, String)]) {
    let params = UnsafeMutablePointer<GimpParamDef>.allocate(capacity: args.count)
    for (i, a) in args.enumerated() { params[i] = GimpParamDef(type: a.0, name: strdup(a.1), description: strdup(a.2)) }
    let returns = UnsafeMutablePointer<GimpParamDef>.allocate(capacity: 1)
    returns[0] = GimpParamDef(type: GIMP_PDB_IMAGE, name: strdup("new-image"), description: strdup("The result"))
    gimp_install_procedure(
        newImageProcedureName, "Upscale with SRCNN into a new image",
        "As plug-in-srcnn-upscale, but the result is a new image and the original stays as it is: the selection's "
            + "bounding box when the image has a selection, else the whole image, scaled by the factor. "
            + "Interactive runs show the new image; scripts get its ID (and delete it when done).",
        "SRCNN Upscale contributors", "SRCNN Upscale contributors", "2026", nil, "RGB*, GRAY*", GIMP_PLUGIN,
        gint(args.count), 1, params, returns)
}
