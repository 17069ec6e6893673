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
///         nodes follow. It keeps the real contract's ABI, validity rule, errors, placement and fee
///         rule (0gfoundation/0g-storage-contracts FixedPriceFlow), but not its on-chain Merkle tree of
///         the whole log (the devnet node verifies data itself) nor its epochs and reward contract.
/// @dev Positions and lengths are in sectors (256-byte chunks). A node of height h spans 2^h sectors.
contract ZgFlow {
    uint256 public constant SECTORS_PER_SEGMENT = 1024;
    uint256 public constant SECTOR_SIZE = 256;
    /// @dev Real SubmissionLibrary: node heights below 64, and at most 4 consecutive heights per submission.
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
    /// @notice The real FixedPriceFlow's error: `paid` is the Flow's whole balance, this call's value
    ///         included, so an earlier overpayment counts towards the next submission.
    error NotEnoughFee(uint256 price, uint256 sectors, uint256 paid);

    constructor(address payable market_) {
        if (market_ == address(0)) revert ZeroMarket();
        market = market_;
    }

    /// @notice Submission with an explicit submitter (0g-ts-sdk 1.x); the event names the submitter.
    function submit(Submission calldata submission)
        external
        payable
        returns (uint256 index, bytes32 digest, uint256 startIndex, uint256 length)
    {
        return _submit(submission.data, submission.submitter);
    }

    /// @notice Submission without a submitter field (0g-ts-sdk 0.3.x); the sender submits.
    function submit(SubmissionData calldata data)
        external
        payable
        returns (uint256 index, bytes32 digest, uint256 startIndex, uint256 length)
    {
        return _submit(data, msg.sender);
    }

    function _submit(SubmissionData calldata data, address submitter)
        private
        returns (uint256 index, bytes32 digest, uint256 startIndex, uint256 length)
    {
        require(_valid(data, submitter), "Invalid submission");
        length = _sectors(data.nodes);
        _chargeFee(length);

        startIndex = _place(data.nodes[0].height, length);
        currentLength = startIndex + length;

        digest = _digest(data.nodes);
        index = submissionIndex++;

        emit Submit(submitter, digest, index, startIndex, length, data);
    }

    /// @dev As the real Flow's _beforeSubmit: the fee is checked against the whole balance and only
    ///      the fee moves on to the market; any surplus stays here for later submissions.
    function _chargeFee(uint256 sectors) private {
        uint256 price = IZgMarket(market).pricePerSector();
        uint256 fee = sectors * price;
        uint256 paid = address(this).balance;
        if (fee > paid) revert NotEnoughFee(price, sectors, paid);
        market.transfer(fee);
    }

    /// @dev The real SubmissionLibrary.valid, check for check and in its order: a height span
    ///      computed on increasing heights underflows (a panic) before the order check is reached.
    function _valid(SubmissionData calldata data, address submitter) private pure returns (bool) {
        if (submitter == address(0)) return false;
        SubmissionNode[] calldata nodes = data.nodes;
        uint256 count = nodes.length;
        if (count == 0) return false;
        uint256 first = nodes[0].height;
        if (first - nodes[count - 1].height >= MAX_HEIGHT_SPAN) return false;
        if (first >= MAX_DEPTH) return false;
        for (uint256 i = 1; i < count; i++) {
            if (nodes[i].height >= nodes[i - 1].height) return false;
        }
        uint256 capacity = _sectors(nodes);
        if (data.length > capacity * SECTOR_SIZE) return false;
        // The last sector must hold data, and beyond 16 sectors the padding stays under the SDK's
        // rounding, so the same file cannot be submitted in several paddings.
        uint256 lastCapacity;
        if (capacity < (uint256(1) << MAX_HEIGHT_SPAN)) {
            lastCapacity = capacity - 1;
        } else if (count == 1) {
            lastCapacity = capacity - (capacity >> MAX_HEIGHT_SPAN);
        } else {
            lastCapacity = capacity - (uint256(1) << (first - MAX_HEIGHT_SPAN + 1));
        }
        return data.length > lastCapacity * SECTOR_SIZE;
    }

    /// @return sectors The submission's capacity, the sum of its nodes' sizes.
    function _sectors(SubmissionNode[] calldata nodes) private pure returns (uint256 sectors) {
        for (uint256 i = 0; i < nodes.length; i++) {
            sectors += uint256(1) << nodes[i].height;
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
