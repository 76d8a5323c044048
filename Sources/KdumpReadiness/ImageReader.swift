import Glibc
import KdumpConfiguration
import Subprocess
import SystemPackage

/// Reads a capture image with the tools of the family that built it, never with a decompressor
/// of our own: initramfs-tools' `lsinitramfs` and `unmkinitramfs` for kdump-tools' images,
/// dracut's `lsinitrd` for kdump-utils' (both handle every compression the builders use).
struct ImageReader {
    let image: CaptureImage

    /// Every file of the image.
    func list() async throws(ImageReadError) -> [ImageEntry] {
        let output: String
        switch image.builder {
        case .kdumpTools: output = try await Self.run("lsinitramfs", ["-l", image.path])
        case .kdumpUtils: output = try await Self.run("lsinitrd", [image.path])
        }
        return output.split(separator: "\n").compactMap { ImageEntry(listingLine: $0) }
    }

    /// The contents of `paths` (paths inside the image, without a leading slash); a path the
    /// image does not hold is left out.
    func read(_ paths: [String]) async throws(ImageReadError) -> [String: String] {
        var contents: [String: String] = [:]
        switch image.builder {
        case .kdumpUtils:
            for path in paths {
                contents[path] = try await Self.run("lsinitrd", ["-f", path, image.path])
            }
        case .kdumpTools:
            // unmkinitramfs unpacks the whole image (with early microcode, into early/ and main/).
            var template = Array("/tmp/kdump-watch-image.XXXXXX".utf8CString)
            guard
                let directory = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }).map({
                    String(cString: $0)
                })
            else {
                throw ImageReadError("cannot make a temporary directory: \(String(cString: strerror(errno)))")
            }
            let unpacked: ImageReadError?
            do throws(ImageReadError) {
                _ = try await Self.run("unmkinitramfs", [image.path, directory])
                unpacked = nil
            } catch {
                unpacked = error
            }
            for path in paths where unpacked == nil {
                for root in [directory + "/main/", directory + "/"] {
                    if let text = try? SystemFile.readText(root + path, limit: 1 << 16) {
                        contents[path] = text
                        break
                    }
                }
            }
            _ = try? await Self.run("rm", ["-rf", "--", directory])
            if let unpacked { throw unpacked }
        }
        return contents
    }

    /// A tool's standard output; its first line of standard error when it fails.
    static func run(_ tool: String, _ arguments: [String]) async throws(ImageReadError) -> String {
        do {
            let result = try await Subprocess.run(
                .name(tool), arguments: Arguments(arguments), output: .string(limit: 64 << 20),
                error: .string(limit: 1 << 16))
            guard result.terminationStatus.isSuccess else {
                let complaint = result.standardError.split(separator: "\n").first.map(String.init) ?? ""
                throw ImageReadError("\(tool) failed (\(result.terminationStatus)): \(complaint)")
            }
            return result.standardOutput
        } catch let error as ImageReadError {
            throw error
        } catch {
            throw ImageReadError("cannot run \(tool): \(error)")
        }
    }
}
