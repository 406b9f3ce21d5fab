import ZenithJSON

/// JSON headers of inference requests, parsed once and shared by the requests that repeat them.
///
/// A client that sends its tensors in binary (tritonclient's default) sends the same JSON header
/// with every request of one shape and one set of parameters: only the bytes after it change.
/// Parsing that header with json-c cost more than any other step of a one-image request, so the
/// parsed tree of a recent header is kept and a request whose header bytes are identical reads
/// that tree instead. Parsing is a pure function of the bytes, so a hit decodes exactly as a
/// parse would; the decoder only reads the tree, so requests on several threads share it.
///
/// Bounded: a fixed number of slots, chosen by the header's hash, each holding one header of at
/// most `maxHeaderBytes`. A client whose headers all differ (say, a fresh `id` in each) only
/// replaces slots, at the cost of a hash and a copy of the header per request.
final class InferenceHeaderCache: Sendable {
    /// Longer headers (JSON requests carrying their data) are parsed every time.
    static let maxHeaderBytes = 2048

    private struct Entry: Sendable {
        let hash: Int
        let bytes: [UInt8]
        let document: JSONDocument
    }

    /// Behind `Locked`, not `Mutex`: every request's thread meets here (docs/SANITIZERS.md).
    private let slots: Locked<[Entry?]>
    private let slotCount: Int

    init(slots: Int = 32) {
        precondition(slots > 0)
        self.slotCount = slots
        self.slots = Locked(Array(repeating: nil, count: slots))
    }

    /// The parsed document of `json`, from the cache when the same bytes were parsed before.
    func document(parsing json: ArraySlice<UInt8>) throws(JSONError) -> JSONDocument {
        guard json.count <= Self.maxHeaderBytes else { return try JSONDocument(parsing: json) }
        let hash = Self.hash(json.span)
        let slot = Int(UInt(bitPattern: hash) % UInt(self.slotCount))
        let cached = self.slots.withLock { slots -> JSONDocument? in
            guard let entry = slots[slot], entry.hash == hash, Self.equal(entry.bytes.span, json.span)
            else { return nil }
            return entry.document
        }
        if let cached { return cached }
        // Only headers that parse are kept: a malformed one gets its error every time.
        let document = try JSONDocument(parsing: json)
        let entry = Entry(hash: hash, bytes: Array(json), document: document)
        self.slots.withLock { $0[slot] = entry }
        return document
    }

    /// The header's hash, fed to `Hasher` eight bytes at a time: hashing the slice itself feeds it
    /// byte by byte, which cost a one-image request more than the lookup it serves. Still the
    /// seeded hash, so a client cannot aim its headers at one slot.
    static func hash(_ bytes: Span<UInt8>) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes.count)
        let whole = bytes.count / 8 * 8
        for offset in stride(from: 0, to: whole, by: 8) { hasher.combine(word(bytes, at: offset)) }
        for offset in whole..<bytes.count { hasher.combine(bytes[offset]) }
        return hasher.finalize()
    }

    static func equal(_ a: Span<UInt8>, _ b: Span<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        for offset in a.indices where a[offset] != b[offset] { return false }
        return true
    }

    /// Eight bytes from `offset` as one integer, by checked byte reads: this module reads client
    /// bytes without unsafe loads.
    @inline(__always)
    private static func word(_ bytes: Span<UInt8>, at offset: Int) -> UInt64 {
        var word: UInt64 = 0
        for index in 0..<8 { word |= UInt64(bytes[offset + index]) << (8 * index) }
        return word
    }

    /// Headers held now (for tests).
    var count: Int { self.slots.withLock { $0.reduce(0) { $0 + ($1 == nil ? 0 : 1) } } }
}
