// Image folders: the image files of a folder, sorted by name (evaluation sets, training data).
import FoundationEssentials
import SRCNN

public enum ImageFolders {
    /// File extensions read as images.
    public static let extensions: Set<String> = ["png", "bmp", "jpg", "jpeg", "tif", "tiff", "webp"]

    /// Paths of the images in `dir`, sorted by name; an unreadable folder or one without images is an error.
    public static func list(_ dir: String) throws -> [String] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: dir) } catch {
            throw SRCNNError.io("cannot read folder '\(dir)'")
        }
        let files = names.filter { name in
            guard let dot = name.lastIndex(of: ".") else { return false }
            return extensions.contains(name[name.index(after: dot)...].lowercased())
        }.sorted().map { dir + "/" + $0 }
        guard !files.isEmpty else { throw SRCNNError.io("no images (.png .bmp .jpg .tif .webp) in '\(dir)'") }
        return files
    }

    /// (training, validation) from a sorted file list, for a validation set held out of the training data: every
    /// 20th file (indices 19, 39, ...), or the last one of a folder under 20 images (none of a single image).
    public static func holdOut(_ files: [String]) -> (train: [String], val: [String]) {
        guard files.count >= 2 else { return (files, []) }
        let picked = files.count >= 20 ? Set(stride(from: 19, to: files.count, by: 20)) : [files.count - 1]
        return (files.indices.filter { !picked.contains($0) }.map { files[$0] },
                files.indices.filter { picked.contains($0) }.map { files[$0] })
    }
}
