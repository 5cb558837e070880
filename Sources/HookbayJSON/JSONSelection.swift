/// The parts of a document a reader needs, for ``JSONParser/parse(_:keeping:)``: the rest is checked as strictly
/// as ever but never built.
///
/// A delivery's body is parsed to read a few values (the envelope's pointers, the payload's declared fields); building
/// a tree of every value of a 7 KB GitHub push, and freeing it, was most of a delivery's CPU. A selection names those
/// values by the member keys that lead to them. The tree the parser returns holds:
/// - a value selected ``whole``, all of it;
/// - an object selected in part, only its selected members (each kept as its own selection says);
/// - an array or a scalar selected in part, all of it (a pointer may index an array; arrays are kept whole rather
///   than renumbered).
///
/// So a look-up of a selected path (``JSONValue/value(atPointer:)``, ``JSONValue/value(atPath:)``) answers exactly as
/// it would on the whole tree, and a partly selected object has the right kind; nothing else of the tree may be read.
public struct JSONSelection: Sendable, Equatable {
    /// Members to keep, by key, each with what to keep of its value (not read when ``whole``).
    public private(set) var members: [String: JSONSelection] {
        didSet {
            // A few ASCII names are matched against a key's bytes, without a String or a hash per member.
            // Sorted: a dictionary's order differs from one instance to another, and selections compare equal by them.
            let names = self.members.keys.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) }
            self.asciiNames = names.count <= 8 && names.allSatisfy { $0.allSatisfy { $0 < 0x80 } } ? names : nil
        }
    }
    /// The UTF-8 of ``members``' keys when there are at most eight and all are ASCII (then a key equals one of them as a
    /// `String` exactly when its bytes do, if it is plain ASCII too).
    private(set) var asciiNames: [[UInt8]]?
    /// Whether the whole value is kept.
    public private(set) var whole: Bool

    /// Keeps the whole document: the same as parsing without a selection.
    public static let everything = JSONSelection(members: [:], whole: true)
    /// Keeps nothing below the root: only its kind, an empty object when it is one.
    public static let nothing = JSONSelection(members: [:], whole: false)

    private init(members: [String: JSONSelection], whole: Bool) {
        self.members = members
        self.whole = whole
        self.asciiNames = members.isEmpty ? [] : nil
    }

    /// Also keeps the whole value at the end of `keys`, member names from the root (an empty list keeps everything).
    public mutating func keep(_ keys: some Collection<String>) {
        guard !self.whole else { return }
        guard let first = keys.first else {
            self = .everything
            return
        }
        self.members[first, default: .nothing].keep(keys.dropFirst())
    }

    /// Also keeps the value at the end of `keys` in part: its kind, and only what other calls keep below it.
    public mutating func touch(_ keys: some Collection<String>) {
        guard !self.whole, let first = keys.first else { return }
        self.members[first, default: .nothing].touch(keys.dropFirst())
    }
}
