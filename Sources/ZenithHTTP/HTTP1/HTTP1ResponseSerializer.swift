import NIOCore

/// Writes HTTP/1.1 responses straight into a `ByteBuffer`: status line, the handler's fields,
/// `content-length` and `connection`, then the body.
enum HTTP1ResponseSerializer {
    /// Appends one response to `buffer`.
    ///
    /// - Parameters:
    ///   - response: The handler's response.
    ///   - info: The request it answers (HEAD gets no body; HTTP/1.0 keep-alive is spelled out).
    ///   - closeConnection: Adds `connection: close`.
    ///   - buffer: Where the bytes go.
    static func write(
        _ response: HTTPResponse,
        for info: HTTP1ConnectionStateMachine.RequestInfo,
        closeConnection: Bool,
        into buffer: inout ByteBuffer
    ) {
        let status = wireStatus(response.status)
        buffer.writeStaticString("HTTP/1.1 ")
        writeDecimal(status, into: &buffer)
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeStaticString(reasonPhrase(status))
        buffer.writeStaticString("\r\n")
        for field in response.headers where isWritable(field) {
            buffer.writeString(field.name)
            buffer.writeStaticString(": ")
            buffer.writeString(field.value)
            buffer.writeStaticString("\r\n")
        }
        // 1xx, 204 and 304 carry no body and no content-length.
        let bodyAllowed = status >= 200 && status != 204 && status != 304
        if bodyAllowed {
            buffer.writeStaticString("content-length: ")
            writeDecimal(response.body.count, into: &buffer)
            buffer.writeStaticString("\r\n")
        }
        if closeConnection {
            buffer.writeStaticString("connection: close\r\n")
        } else if info.isHTTP10 {
            buffer.writeStaticString("connection: keep-alive\r\n")
        }
        buffer.writeStaticString("\r\n")
        if bodyAllowed && !info.isHead {
            buffer.writeBytes(response.body)
        }
    }

    /// The status to send: a handler's 1xx or out-of-range code becomes 500, since it would
    /// break the message framing.
    static func wireStatus(_ status: Int) -> Int {
        (200...999).contains(status) ? status : 500
    }

    /// `HTTP/1.1 100 Continue`, sent before reading a body the client is waiting to send.
    static func writeContinue(into buffer: inout ByteBuffer) {
        buffer.writeStaticString("HTTP/1.1 100 Continue\r\n\r\n")
    }

    /// An upper bound on the bytes `write` appends, for reserving capacity.
    static func estimatedSize(of response: HTTPResponse) -> Int {
        var size = 96 + response.body.count
        for field in response.headers {
            size += field.name.utf8.count + field.value.utf8.count + 4
        }
        return size
    }

    /// Fields the transport writes itself, and fields that would let a value split the response.
    static func isWritable(_ field: HTTPHeaderList.Field) -> Bool {
        // Compare names only when the length matches one of the framing fields.
        switch field.name.utf8.count {
        case 0:
            return false
        case 7, 10, 14, 16, 17:
            switch field.name {
            case "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "proxy-connection":
                return false
            default:
                break
            }
        default:
            break
        }
        return isSafe(field.name) && isSafe(field.value)
    }

    private static func isSafe(_ string: String) -> Bool {
        for byte in string.utf8 where byte == 0x0D || byte == 0x0A || byte == 0x00 {
            return false
        }
        return true
    }

    /// Decimal digits; `String(Int)` fits the small-string form, so this does not allocate.
    static func writeDecimal(_ value: Int, into buffer: inout ByteBuffer) {
        buffer.writeString(String(value))
    }

    static func reasonPhrase(_ status: Int) -> StaticString {
        switch status {
        case 100: "Continue"
        case 101: "Switching Protocols"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 206: "Partial Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Unknown"
        }
    }
}
