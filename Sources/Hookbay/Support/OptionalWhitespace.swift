extension StringProtocol where SubSequence == Substring {
    /// Without the spaces and tabs around it (HTTP's optional whitespace, RFC 9110 §5.6.3); other characters, Unicode
    /// spaces included, are kept. Cheap: no Foundation, no copy.
    var trimmingOWS: Substring {
        let text = self[...]
        let utf8 = text.utf8
        let start = utf8.firstIndex { $0 != 0x20 && $0 != 0x09 } ?? utf8.endIndex
        let end = utf8[start...].lastIndex { $0 != 0x20 && $0 != 0x09 }.map { utf8.index(after: $0) } ?? start
        return text[start..<end]
    }
}
