/// One script call: the script, its keys and its arguments, as `EVALSHA` and as `EVAL` (sent when the server does not
/// know the script), with the commands that go just before it on its connection.
public struct RedisScriptCall: Sendable {
    public var script: RedisScript
    public var keys: [RedisArgument]
    public var args: [RedisArgument]
    /// Commands sent back to back just before the script, on its connection, and again before it each time it is sent
    /// again (an `EVAL` after `NOSCRIPT`, a redirect): they must be safe to repeat. Their replies are not the call's,
    /// so the script must check what they wrote (a connection lost after them, or a command of theirs refused, leaves
    /// the script to find it missing). Used to write large values with a plain command rather than through the
    /// script's arguments, which Lua copies and hashes byte by byte.
    public var preceding: [[RedisArgument]]

    public init(_ script: RedisScript, keys: [RedisArgument], args: [RedisArgument], preceding: [[RedisArgument]] = []) {
        self.script = script
        self.keys = keys
        self.args = args
        self.preceding = preceding
    }

    /// `EVALSHA sha numkeys keys... args...`.
    var evalsha: [RedisArgument] { self.command(["EVALSHA", .string(self.script.sha1)]) }

    /// `EVAL source numkeys keys... args...`.
    var eval: [RedisArgument] { self.command(["EVAL", .string(self.script.source)]) }

    /// The preceding commands, then the script as `EVALSHA` (or as `EVAL`).
    func sequence(eval: Bool) -> [[RedisArgument]] { self.preceding + [eval ? self.eval : self.evalsha] }

    private func command(_ head: [RedisArgument]) -> [RedisArgument] {
        var command = head
        command.reserveCapacity(3 + self.keys.count + self.args.count)
        command.append(.integer(self.keys.count))
        command.append(contentsOf: self.keys)
        command.append(contentsOf: self.args)
        return command
    }
}
