import Foundation
import HTTPTypes
import HookbayRedis
import Logging
import NIOCore
import Synchronization
import Testing

@testable import Hookbay

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

public struct TestSetupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
