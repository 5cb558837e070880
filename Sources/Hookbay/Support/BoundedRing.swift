/// The last `capacity` values appended, oldest overwritten first: a value type, so a lock around it is all it needs.
public struct BoundedRing<Element: Sendable>: Sendable {
    /// How many values it keeps at most.
    public let capacity: Int
    private var storage: [Element] = []
    /// Where the next value goes once the storage is full.
    private var next = 0

    public init(capacity: Int) {
        precondition(capacity > 0, "a ring keeps at least one value")
        self.capacity = capacity
        self.storage.reserveCapacity(capacity)
    }

    /// How many values it holds.
    public var count: Int { self.storage.count }

    /// Adds `value`, dropping the oldest when full.
    public mutating func append(_ value: Element) {
        if self.storage.count < self.capacity {
            self.storage.append(value)
        } else {
            self.storage[self.next] = value
        }
        self.next = (self.next + 1) % self.capacity
    }

    /// Lets `change` modify the newest value in place; returns what it returned (false when the ring is empty).
    public mutating func updateNewest(_ change: (inout Element) -> Bool) -> Bool {
        guard !self.storage.isEmpty else { return false }
        let newest = (self.next + self.capacity - 1) % self.capacity
        return change(&self.storage[newest])
    }

    /// The values, oldest first.
    public var oldestFirst: [Element] {
        guard self.storage.count == self.capacity else { return self.storage }
        return Array(self.storage[self.next...] + self.storage[..<self.next])
    }

    /// The values, newest first.
    public var newestFirst: [Element] { self.oldestFirst.reversed() }
}
