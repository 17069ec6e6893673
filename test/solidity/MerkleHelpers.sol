// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @dev The FLAIFederated reward tree as the contract verifies it: double-hashed leaves
///      keccak256(keccak256(abi.encode(client, updateHash, weight, cum))), sorted pairs, and an odd last
///      node promoted unchanged (one leaf: root = leaf). Shared by the unit and invariant fixtures.
abstract contract MerkleHelpers {
    function _leaf(address client, bytes32 updateHash, uint64 weight, uint64 cum) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(client, updateHash, weight, cum))));
    }

    function _hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encodePacked(a, b)) : keccak256(abi.encodePacked(b, a));
    }

    function _merkleRoot(bytes32[] memory leaves) internal pure returns (bytes32) {
        uint256 n = leaves.length;
        if (n == 0) return bytes32(0);
        bytes32[] memory layer = _copyLeaves(leaves);
        while (n > 1) {
            n = _nextLayer(layer, n);
        }
        return layer[0];
    }

    /// @dev Proof of leaf `index`: the sibling at each level that has one.
    function _merkleProof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[] memory proof) {
        uint256 n = leaves.length;
        bytes32[] memory layer = _copyLeaves(leaves);
        proof = new bytes32[](64);
        uint256 len;
        uint256 pos = index;
        while (n > 1) {
            uint256 sibling = pos ^ 1;
            if (sibling < n) proof[len++] = layer[sibling];
            n = _nextLayer(layer, n);
            pos >>= 1;
        }
        assembly ("memory-safe") {
            mstore(proof, len)
        }
    }

    /// @dev Hashes layer[0..n) pairwise in place (odd last node promoted); returns the new length.
    function _nextLayer(bytes32[] memory layer, uint256 n) internal pure returns (uint256 m) {
        m = (n + 1) / 2;
        for (uint256 i; i < n / 2; i++) {
            layer[i] = _hashPair(layer[2 * i], layer[2 * i + 1]);
        }
        if (n % 2 == 1) layer[m - 1] = layer[n - 1];
    }

    function _copyLeaves(bytes32[] memory leaves) private pure returns (bytes32[] memory layer) {
        layer = new bytes32[](leaves.length);
        for (uint256 i; i < leaves.length; i++) {
            layer[i] = leaves[i];
        }
    }
}
