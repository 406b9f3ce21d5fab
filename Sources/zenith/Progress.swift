import Foundation

/// Progress of the long commands, on standard error (standard output carries their results).
enum Progress {
    static func line(_ text: String) {
        FileHandle.standardError.write(Data("zenith: \(text)\n".utf8))
    }
}
