/// One script call: the script, its keys and its arguments, as `EVALSHA` and as `EVAL` (sent when the server does not
/// know the script).
public struct RedisScriptCall: Sendable {
    public var script: RedisScript
    public var keys: [RedisArgument]
    public var args: [RedisArgument]

    public init(_ script: RedisScript, keys: [RedisArgument], args: [RedisArgument]) {
        self.script = script
        self.keys = keys
        self.args = args
    }

    /// `EVALSHA sha numkeys keys... args...`.
    var evalsha: [RedisArgument] { self.command(["EVALSHA", .string(self.script.sha1)]) }

    /// `EVAL source numkeys keys... args...`.
    var eval: [RedisArgument] { self.command(["EVAL", .string(self.script.source)]) }

    private func command(_ head: [RedisArgument]) -> [RedisArgument] {
        var command = head
        command.reserveCapacity(3 + self.keys.count + self.args.count)
        command.append(.integer(self.keys.count))
        command.append(contentsOf: self.keys)
        command.append(contentsOf: self.args)
        return command
    }
}
