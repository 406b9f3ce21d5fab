/// One stream's ``HTTP2StreamState`` as the session's table holds it: by reference.
///
/// nghttp2 calls back for every header field and frame, and each callback updates its stream.
/// Updating a struct stored in a dictionary in place (`streams[id]?.receiveHeader(…)`) goes
/// through `Dictionary`'s modify coroutine, whose frame for a value this large is allocated on
/// the heap at every call; through a reference the dictionary is only read.
final class HTTP2Stream {
    var state: HTTP2StreamState

    init(_ state: HTTP2StreamState) {
        self.state = state
    }
}
