internal import CNGHTTP2

/// Scratch space a session reuses to build each header list it submits (a response's on the
/// server, a request's on the client) without allocating once warm: the fields' bytes in one
/// array, and `nghttp2_nv` entries pointing into it.
struct NGHTTP2HeaderBlock {
    private var bytes: [UInt8] = []
    private var spans: [(nameStart: Int, nameCount: Int, valueStart: Int, valueCount: Int)] = []
    private var nameValues: [nghttp2_nv] = []

    /// Empties the block, keeping its capacity.
    mutating func removeAll() {
        self.bytes.removeAll(keepingCapacity: true)
        self.spans.removeAll(keepingCapacity: true)
    }

    mutating func append(name: String, value: String) {
        let nameStart = self.bytes.count
        self.bytes.append(contentsOf: name.utf8)
        let valueStart = self.bytes.count
        self.bytes.append(contentsOf: value.utf8)
        self.spans.append((nameStart, valueStart - nameStart, valueStart, self.bytes.count - valueStart))
    }

    /// Calls `body` with the fields as nghttp2 name-value pairs, which point into the block and
    /// are valid only during the call (nghttp2 copies them when a frame is submitted).
    mutating func withNameValues<Result>(_ body: (UnsafeBufferPointer<nghttp2_nv>) -> Result) -> Result {
        self.bytes.withUnsafeMutableBufferPointer { bytes in
            let base = bytes.baseAddress!
            self.nameValues.removeAll(keepingCapacity: true)
            for span in self.spans {
                self.nameValues.append(
                    nghttp2_nv(
                        name: base + span.nameStart, value: base + span.valueStart, namelen: span.nameCount,
                        valuelen: span.valueCount, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)))
            }
            return self.nameValues.withUnsafeBufferPointer(body)
        }
    }
}
