import ZenithExecutor

/// A `model.safetensors` file through `SafeTensors(bytes:path:)`; every tensor of a file that
/// parses is then read with the reader its dtype calls for, as the graph builder would.
struct SafeTensorsTarget: FuzzTarget {
    static let name = "safetensors"

    init() {}

    func run(_ input: [UInt8]) {
        guard let file = try? SafeTensors(bytes: input, path: "model.safetensors") else { return }
        for (name, entry) in file.entries {
            switch entry.dtype {
            case .f32: _ = try? file.floats(name, shape: entry.shape)
            case .f64: _ = try? file.floats(name)
            case .i64, .i32, .u8, .bool: _ = try? file.integers(name)
            }
        }
    }
}
