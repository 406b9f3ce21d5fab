import Foundation

#if ZENITH_FUZZ
import CLibFuzzer
#endif

/// `zenith-fuzz TARGET ARGS...`: in a normal build, replays the files and folders in ARGS through
/// TARGET (the regression corpus in CI and in `swift build`); in the fuzzer build
/// (`scripts/fuzz.sh`, compiled with `-DZENITH_FUZZ` and libFuzzer's coverage instrumentation),
/// hands ARGS to libFuzzer, which mutates inputs into TARGET.
@main
enum ZenithFuzz {
    /// The target of this process; libFuzzer's callback is a C function and cannot capture it.
    nonisolated(unsafe) static var target: (any FuzzTarget)?

    static func main() throws {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2, let type = FuzzTargets.named(arguments[1]) else {
            let names = FuzzTargets.all.map { $0.name }.joined(separator: "|")
            FileHandle.standardError.write(Data("usage: zenith-fuzz \(names) [files or folders | libFuzzer options]\n".utf8))
            exit(2)
        }
        target = try type.init()
        #if ZENITH_FUZZ
        exit(runLibFuzzer(arguments: [arguments[0]] + arguments.dropFirst(2)))
        #else
        let count = try replay(paths: Array(arguments.dropFirst(2)))
        print("zenith-fuzz \(type.name): \(count) inputs replayed, none crashed")
        #endif
    }

    /// Runs every file under `paths` (files, or folders searched recursively) through the target.
    static func replay(paths: [String]) throws -> Int {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path])
            }
            if isDirectory.boolValue {
                let enumerator = FileManager.default.enumerator(atPath: path)
                while let relative = enumerator?.nextObject() as? String {
                    let file = path + "/" + relative
                    var nested: ObjCBool = false
                    if FileManager.default.fileExists(atPath: file, isDirectory: &nested), !nested.boolValue {
                        files.append(file)
                    }
                }
            } else {
                files.append(path)
            }
        }
        for file in files.sorted() {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: file])
            }
            // Named before it runs, so a trap's output says which input it was.
            FileHandle.standardError.write(Data("replay \(file)\n".utf8))
            target!.run([UInt8](data))
        }
        return files.count
    }

    #if ZENITH_FUZZ
    static func runLibFuzzer(arguments: [String]) -> Int32 {
        // libFuzzer keeps argv for the whole run: strdup'd strings that are never freed.
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? =
            UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: arguments.count + 1)
        for (index, argument) in arguments.enumerated() { argv![index] = strdup(argument) }
        argv![arguments.count] = nil
        var argc = Int32(arguments.count)
        return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            let input = size == 0 ? [] : [UInt8](UnsafeBufferPointer(start: data, count: size))
            ZenithFuzz.target!.run(input)
            return 0
        }
    }
    #endif
}
