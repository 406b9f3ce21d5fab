/// A hash map keyed by request ids: open addressing, linear probing and a multiplicative
/// (Fibonacci) hash.
///
/// The deadline queue's two heaps record an id's position on every swap. With `Dictionary`, whose
/// seeded SipHash suits untrusted keys, hashing request ids took about 6% of a loaded server's
/// CPU. Request ids are distinct integers the server assigns, which a multiply and a shift spread
/// well.
struct IDTable<Value: Sendable>: Sendable {
    private var slots: [(key: UInt64, value: Value)?]
    /// `64 - log2(slots.count)`: the hash keeps the product's top bits.
    private var shift: UInt64
    private(set) var count = 0

    init() {
        slots = Array(repeating: nil, count: 16)
        shift = 60
    }

    var isEmpty: Bool { count == 0 }

    subscript(id: RequestID) -> Value? {
        get { index(of: id.rawValue).map { slots[$0]!.value } }
        set {
            if let newValue { updateValue(newValue, forKey: id.rawValue) } else { removeValue(forKey: id) }
        }
    }

    /// Removes `id`'s entry and returns its value; `nil` if there is none.
    @discardableResult
    mutating func removeValue(forKey id: RequestID) -> Value? {
        guard var hole = index(of: id.rawValue) else { return nil }
        let removed = slots[hole]!.value
        // Backward-shift deletion: later entries of the probe run move into the hole unless that
        // would put them before their home slot, so lookups never meet a gap inside a run.
        var next = hole
        while true {
            next = (next + 1) & mask
            guard let entry = slots[next] else { break }
            let home = self.home(entry.key)
            let homeInHoleToNext = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next)
            if !homeInHoleToNext {
                slots[hole] = entry
                hole = next
            }
        }
        slots[hole] = nil
        count -= 1
        return removed
    }

    private var mask: Int { slots.count - 1 }

    private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    private func index(of key: UInt64) -> Int? {
        var index = home(key)
        while let entry = slots[index] {
            if entry.key == key { return index }
            index = (index + 1) & mask
        }
        return nil
    }

    private mutating func updateValue(_ value: Value, forKey key: UInt64) {
        // At most half full, so probe runs stay short.
        if 2 * (count + 1) > slots.count { grow() }
        var index = home(key)
        while let entry = slots[index] {
            if entry.key == key {
                slots[index] = (key, value)
                return
            }
            index = (index + 1) & mask
        }
        slots[index] = (key, value)
        count += 1
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: nil, count: old.count * 2)
        shift -= 1
        count = 0
        for case let (key, value)? in old { updateValue(value, forKey: key) }
    }
}
