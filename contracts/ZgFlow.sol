// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @dev Field order is part of the ABI the 0G storage SDK encodes; do not reorder.
struct SubmissionNode {
    bytes32 root;
    uint256 height;
}

struct SubmissionData {
    uint256 length;
    bytes tags;
    SubmissionNode[] nodes;
}

struct Submission {
    SubmissionData data;
    address submitter;
}

interface IZgMarket {
    function pricePerSector() external view returns (uint256);
}

/// @title ZgFlow
/// @notice Local stand-in for 0G Storage's Flow contract: the log of file submissions that storage
///         nodes follow. It keeps the real contract's ABI, validity rules, placement and fee, but not
///         its on-chain Merkle tree of the whole log (the devnet node verifies data itself).
/// @dev Positions and lengths are in sectors (256-byte chunks). A node of height h spans 2^h sectors.
contract ZgFlow {
    uint256 public constant SECTORS_PER_SEGMENT = 1024;
    uint256 public constant SECTOR_SIZE = 256;
    /// @dev Real Flow: node heights below 64, and at most 4 consecutive heights per submission.
    uint256 public constant MAX_DEPTH = 64;
    uint256 public constant MAX_HEIGHT_SPAN = 4;

    address payable public immutable market;

    /// @notice Next free sector. Starts at 1: sector 0 holds the real Flow's empty-tree identifier.
    uint256 public currentLength = 1;
    uint256 public submissionIndex;

    event Submit(
        address indexed sender,
        bytes32 indexed identity,
        uint256 submissionIndex,
        uint256 startPos,
        uint256 length,
        SubmissionData submission
    );

    error ZeroMarket();
    error ZeroSubmitter();
    error NoNodes();
    error HeightTooLarge(uint256 height);
    error HeightsNotDecreasing(uint256 index);
    error HeightSpanTooLarge(uint256 first, uint256 last);
    /// @dev `length` bytes must fit the nodes' capacity, and must not leave more padding than the SDK's
    ///      rounding can (so the same file cannot be submitted in several paddings).
    error LengthOutOfRange(uint256 length, uint256 minExclusive, uint256 max);
    error InsufficientFee(uint256 required, uint256 paid);
    error FeeForwardFailed();

    constructor(address payable market_) {
        if (market_ == address(0)) revert ZeroMarket();
        market = market_;
    }

    /// @notice Submission with an explicit submitter (0g-ts-sdk 1.x).
    function submit(Submission calldata submission)
        external
        payable
        returns (uint256 index, bytes32 digest, uint256 startIndex, uint256 length)
    {
        if (submission.submitter == address(0)) revert ZeroSubmitter();
        return _submit(submission.data);
    }

    /// @notice Submission without a submitter field (0g-ts-sdk 0.3.x); the sender submits.
    function submit(SubmissionData calldata data)
        external
        payable
        returns (uint256 index, bytes32 digest, uint256 startIndex, uint256 length)
    {
        return _submit(data);
    }

    function _submit(SubmissionData calldata data)
        private
        returns (uint256 index, bytes32 digest, uint256 startIndex, uint256 length)
    {
        length = _validate(data);

        uint256 required = length * IZgMarket(market).pricePerSector();
        if (msg.value < required) revert InsufficientFee(required, msg.value);

        startIndex = _place(data.nodes[0].height, length);
        currentLength = startIndex + length;

        digest = _digest(data.nodes);
        index = submissionIndex++;

        emit Submit(msg.sender, digest, index, startIndex, length, data);

        if (msg.value > 0) {
            (bool ok,) = market.call{value: msg.value}("");
            if (!ok) revert FeeForwardFailed();
        }
    }

    /// @return sectors The submission's capacity, the sum of its nodes' sizes.
    function _validate(SubmissionData calldata data) private pure returns (uint256 sectors) {
        SubmissionNode[] calldata nodes = data.nodes;
        uint256 count = nodes.length;
        if (count == 0) revert NoNodes();

        uint256 first = nodes[0].height;
        if (first >= MAX_DEPTH) revert HeightTooLarge(first);
        for (uint256 i = 1; i < count; i++) {
            if (nodes[i].height >= nodes[i - 1].height) revert HeightsNotDecreasing(i);
        }
        uint256 last = nodes[count - 1].height;
        if (first - last >= MAX_HEIGHT_SPAN) revert HeightSpanTooLarge(first, last);

        for (uint256 i = 0; i < count; i++) {
            sectors += uint256(1) << nodes[i].height;
        }

        // Same bound as the real SubmissionLibrary.valid: the last sector must hold data, and beyond
        // 16 sectors the padding stays under 1/16 of the next power of two.
        uint256 lastCapacity;
        if (sectors < (uint256(1) << MAX_HEIGHT_SPAN)) {
            lastCapacity = sectors - 1;
        } else if (count == 1) {
            lastCapacity = sectors - (sectors >> MAX_HEIGHT_SPAN);
        } else {
            lastCapacity = sectors - (uint256(1) << (first - MAX_HEIGHT_SPAN + 1));
        }
        uint256 max = sectors * SECTOR_SIZE;
        uint256 minExclusive = lastCapacity * SECTOR_SIZE;
        if (data.length > max || data.length <= minExclusive) {
            revert LengthOutOfRange(data.length, minExclusive, max);
        }
    }

    /// @dev Aligned to the first (largest) node, so every node lands on a multiple of its own size.
    ///      A file that would straddle a segment boundary from an unaligned start moves to the next
    ///      segment, so each of its segments maps to exactly one flow segment (as the real FlowTreeLib.pad).
    function _place(uint256 firstHeight, uint256 sectors) private view returns (uint256 start) {
        start = _nextAlign(currentLength, firstHeight);
        if (
            start % SECTORS_PER_SEGMENT != 0
                && start / SECTORS_PER_SEGMENT != (start + sectors - 1) / SECTORS_PER_SEGMENT
        ) {
            start += SECTORS_PER_SEGMENT - (start % SECTORS_PER_SEGMENT);
        }
    }

    function _nextAlign(uint256 length, uint256 alignExp) private pure returns (uint256) {
        if (length == 0) return 0;
        return (((length - 1) >> alignExp) + 1) << alignExp;
    }

    /// @dev The real Flow's submission identity: keccak256 over the packed node roots.
    function _digest(SubmissionNode[] calldata nodes) private pure returns (bytes32) {
        bytes32[] memory roots = new bytes32[](nodes.length);
        for (uint256 i = 0; i < nodes.length; i++) {
            roots[i] = nodes[i].root;
        }
        return keccak256(abi.encodePacked(roots));
    }
}
