// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title EnclaveSigned
/// @notice Shared base of FLAIComputeJobs and FLAIFederated: the EIP-712 domain under which an enclave signs,
///         recovery of EIP-2098 compact signatures, and the plain-call ether payout.
/// @dev The domain is `EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)`,
///      with name and version given by the derived contract's constructor. The separator is cached in
///      immutables and recomputed whenever the chain id (fork) or the executing address (delegatecall) differs
///      from the deployment's. No storage is used, so the derived contracts' storage layout is their own.
///      The errors raised here (`InvalidSignature()`, `PayoutFailed(address,uint256)`) are declared by each derived
///      contract and raised through {_revertInvalidSignature} / {_revertPayoutFailed}: an error inherited from a
///      base is not a member of the derived contract's type, and `FLAIComputeJobs.InvalidSignature.selector`
///      (likewise FLAIFederated) must stay valid Solidity. Declaring them in both places would list them twice
///      in the derived ABI.
abstract contract EnclaveSigned {
    // ---------------------------------------------------------------------------------------------
    // Constants / immutables
    // ---------------------------------------------------------------------------------------------

    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    /// @dev secp256k1n / 2: signatures with a larger s are rejected (malleability, EIP-2).
    uint256 private constant _HALF_CURVE_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;
    uint256 private constant _LOW_255_BITS = (1 << 255) - 1;

    bytes32 private immutable _nameHash;
    bytes32 private immutable _versionHash;
    bytes32 private immutable _cachedDomainSeparator;
    uint256 private immutable _cachedChainId;
    address private immutable _cachedThis;

    constructor(string memory name, string memory version) {
        bytes32 nameHash = keccak256(bytes(name));
        bytes32 versionHash = keccak256(bytes(version));
        _nameHash = nameHash;
        _versionHash = versionHash;
        _cachedChainId = block.chainid;
        _cachedThis = address(this);
        _cachedDomainSeparator = _buildDomainSeparator(nameHash, versionHash);
    }

    // ---------------------------------------------------------------------------------------------
    // EIP-712
    // ---------------------------------------------------------------------------------------------

    function domainSeparator() public view returns (bytes32) {
        if (block.chainid == _cachedChainId && address(this) == _cachedThis) return _cachedDomainSeparator;
        return _buildDomainSeparator(_nameHash, _versionHash);
    }

    /// @dev The EIP-712 digest of a struct hash under this contract's domain:
    ///      keccak256("\x19\x01" || domainSeparator() || structHash).
    function _hashTypedData(bytes32 structHash) internal view returns (bytes32 digest) {
        bytes32 separator = domainSeparator();
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, shl(240, 0x1901))
            mstore(add(ptr, 0x02), separator)
            mstore(add(ptr, 0x22), structHash)
            digest := keccak256(ptr, 0x42)
        }
    }

    /// @dev ECDSA recovery of an EIP-2098 compact signature (r, vs): vs = yParity << 255 | s. Reverts with
    ///      `InvalidSignature()` for a high s or when nothing is recovered.
    function _recover(bytes32 digest, bytes32 r, bytes32 vs) internal pure returns (address signer) {
        uint256 s = uint256(vs) & _LOW_255_BITS;
        if (s > _HALF_CURVE_ORDER) _revertInvalidSignature();
        uint8 v;
        unchecked {
            v = uint8((uint256(vs) >> 255) + 27); // 27 or 28
        }
        signer = ecrecover(digest, v, r, bytes32(s));
        if (signer == address(0)) _revertInvalidSignature();
    }

    // ---------------------------------------------------------------------------------------------
    // Payouts
    // ---------------------------------------------------------------------------------------------

    /// @dev Sends `amount` wei with a plain call (all gas forwarded, return data not copied); reverts with
    ///      `PayoutFailed(to, amount)` if the call fails.
    function _pay(address to, uint256 amount) internal {
        bool ok;
        assembly ("memory-safe") {
            ok := call(gas(), to, amount, 0, 0, 0, 0)
        }
        if (!ok) _revertPayoutFailed(to, amount);
    }

    // ---------------------------------------------------------------------------------------------
    // Errors (declared by the derived contract)
    // ---------------------------------------------------------------------------------------------

    /// @dev Must revert with `InvalidSignature()`.
    function _revertInvalidSignature() internal pure virtual;

    /// @dev Must revert with `PayoutFailed(payee, amount)`.
    function _revertPayoutFailed(address payee, uint256 amount) internal pure virtual;

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    function _buildDomainSeparator(bytes32 nameHash, bytes32 versionHash) private view returns (bytes32) {
        return keccak256(abi.encode(_DOMAIN_TYPEHASH, nameHash, versionHash, block.chainid, address(this)));
    }
}
