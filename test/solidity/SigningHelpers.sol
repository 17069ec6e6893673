// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FLAIComputeJobs} from "../../contracts/FLAIComputeJobs.sol";
import {FLAIFederated} from "../../contracts/FLAIFederated.sol";
import {CheatcodeBase} from "./Vm.sol";

/// @dev Small helpers every fixture uses (there is no forge-std here, see Vm.sol).
abstract contract TestHelpers is CheatcodeBase {
    /// @dev `x` if already in [min, max], else min + x mod (max - min + 1).
    function _bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        if (x >= min && x <= max) return x;
        return min + (x % (max - min + 1));
    }

    /// @dev Decorrelates choices from the fuzzer's favourite values (0, 1, type(uint256).max, ...).
    function _mix(uint256 seed) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed)));
    }

    function _assertEq(uint256 a, uint256 b, string memory what) internal pure {
        require(a == b, what);
    }

    function _assertEq(bytes32 a, bytes32 b, string memory what) internal pure {
        require(a == b, what);
    }

    function _assertEq(address a, address b, string memory what) internal pure {
        require(a == b, what);
    }
}

/// @dev The fixtures' attestation authority (the stand-in for a TEE vendor's quote verifier) and the reports it
///      signs. Every FLAIComputeJobs a fixture deploys pins {_attestationAuthority}; enclaves are registered
///      with {_registerAttested}, exactly as a relayer would, never by the owner alone.
abstract contract EnclaveAttestation is CheatcodeBase {
    uint256 internal constant ATTESTATION_AUTHORITY_PK = 0xA77E57A7;
    /// @dev Long enough that no fixture's clock (warps included) outlives a registration by accident.
    uint64 internal constant FIXTURE_REPORT_VALIDITY = 3650 days;

    function _attestationAuthority() internal pure returns (address) {
        return vm.addr(ATTESTATION_AUTHORITY_PK);
    }

    /// @dev A stand-in X25519 public key per signer (the contract only stores and serves it).
    function _encryptionKeyFor(address signer) internal pure returns (bytes32) {
        return keccak256(abi.encode("x25519-public-key", signer));
    }

    /// @dev Independent, abi.encode based EIP-712 digest of an EnclaveReport (cross-checks the contract's).
    function _reportDigest(bytes32 measurement, address signer, bytes32 encryptionKey, uint64 issuedAt, uint64 expiry)
        internal
        pure
        returns (bytes32)
    {
        bytes32 separator = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version)"),
                keccak256("hardhat-flai attestation"),
                keccak256("1")
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256(
                    "EnclaveReport(bytes32 measurement,address signer,bytes32 encryptionKey,uint64 issuedAt,uint64 expiry)"
                ),
                measurement,
                signer,
                encryptionKey,
                issuedAt,
                expiry
            )
        );
        return keccak256(abi.encodePacked(hex"1901", separator, structHash));
    }

    /// @dev An EIP-2098 compact signature by `authorityPk` over the report.
    function _signReport(
        uint256 authorityPk,
        bytes32 measurement,
        address signer,
        bytes32 encryptionKey,
        uint64 issuedAt,
        uint64 expiry
    ) internal pure returns (bytes32 r, bytes32 vs) {
        (uint8 v, bytes32 r_, bytes32 s) =
            vm.sign(authorityPk, _reportDigest(measurement, signer, encryptionKey, issuedAt, expiry));
        r = r_;
        vs = bytes32(uint256(s) | (uint256(v - 27) << 255));
    }

    /// @dev A fresh report for `signer` running `measurement` (issued now, or just after its current report so it
    ///      is newer), signed by the fixtures' authority and registered on `registry`.
    function _registerAttested(FLAIComputeJobs registry, address signer, bytes32 measurement) internal {
        (,, uint64 lastIssuedAt,) = registry.enclaveRegistration(signer);
        uint64 issuedAt = uint64(block.timestamp) > lastIssuedAt ? uint64(block.timestamp) : lastIssuedAt + 1;
        uint64 expiry = issuedAt + FIXTURE_REPORT_VALIDITY;
        bytes32 key = _encryptionKeyFor(signer);
        (bytes32 r, bytes32 vs) = _signReport(ATTESTATION_AUTHORITY_PK, measurement, signer, key, issuedAt, expiry);
        registry.registerEnclave(measurement, signer, key, issuedAt, expiry, r, vs);
    }
}

/// @dev Signing and EIP-712 helpers shared by the FLAIComputeJobs and FLAIFederated fixtures (both contracts
///      are {EnclaveSigned}): EIP-2098 compact signatures made with vm.sign, and an independent, abi.encode
///      based EIP-712 computation to cross-check the contracts' assembly.
abstract contract SigningHelpers is TestHelpers, EnclaveAttestation {
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    uint256 internal constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /// @dev Signs with vm.sign and converts (v, r, s) to the EIP-2098 compact form (r, vs).
    function _signDigest(uint256 pk, bytes32 digest) internal pure returns (bytes32 r, bytes32 vs) {
        (uint8 v, bytes32 r_, bytes32 s) = vm.sign(pk, digest);
        r = r_;
        vs = bytes32(uint256(s) | (uint256(v - 27) << 255));
    }

    /// @dev Plain ecrecover of a compact signature (no high-s check): 0 if nothing is recovered.
    function _recoverCompact(bytes32 digest, bytes32 r, bytes32 vs) internal pure returns (address) {
        uint8 v = uint8((uint256(vs) >> 255) + 27);
        bytes32 s = bytes32(uint256(vs) & ((1 << 255) - 1));
        return ecrecover(digest, v, r, s);
    }

    /// @dev EIP712Domain(string name,string version,uint256 chainId,address verifyingContract).
    function _eip712DomainSeparator(
        string memory name,
        string memory version,
        uint256 chainId,
        address verifyingContract
    ) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256(bytes(name)),
                keccak256(bytes(version)),
                chainId,
                verifyingContract
            )
        );
    }

    /// @dev keccak256("\x19\x01" || separator || structHash).
    function _eip712Digest(bytes32 separator, bytes32 structHash) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", separator, structHash));
    }

    /// @dev Independent, abi.encode based EIP-712 digest of FLAIFederated's RoundResult (cross-checks hashRoundResult).
    function _roundResultDigest(bytes32 separator, uint256 taskId, uint16 round, FLAIFederated.RoundResult memory res)
        internal
        pure
        returns (bytes32)
    {
        bytes32 typeHash = keccak256(
            "RoundResult(uint256 taskId,uint16 round,bytes32 previousGlobalHash,bytes32 updatesAccumulator,uint32 updateCount,bytes32 globalRoot,bytes32 globalHash,bytes32 commitment,uint64 acceptedWeight,uint32 acceptedCount,uint32 rejectedCount,bytes32 reportRoot,bytes32 metrics)"
        );
        bytes memory head = abi.encode(
            typeHash,
            taskId,
            uint256(round),
            res.previousGlobalHash,
            res.updatesAccumulator,
            uint256(res.updateCount),
            res.globalRoot,
            res.globalHash
        );
        bytes memory tail = abi.encode(
            res.commitment, res.acceptedWeight, res.acceptedCount, res.rejectedCount, res.reportRoot, res.metrics
        );
        return _eip712Digest(separator, keccak256(bytes.concat(head, tail)));
    }
}

