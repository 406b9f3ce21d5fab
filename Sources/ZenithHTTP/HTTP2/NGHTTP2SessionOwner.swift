/// An object that owns an ``NGHTTP2SessionHandle`` and is its callbacks' `user_data`.
///
/// Only used through its concrete (final) types, so the lookup is a direct, inlined cast.
protocol NGHTTP2SessionOwner: AnyObject {}

extension NGHTTP2SessionOwner {
    /// The owner a callback's `user_data` points to, as bound with ``NGHTTP2SessionHandle/bind(to:)``.
    @inline(__always)
    static func owner(_ userData: UnsafeMutableRawPointer?) -> Self {
        Unmanaged<Self>.fromOpaque(userData!).takeUnretainedValue()
    }
}
