// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ZgFlow, Submission, SubmissionData, SubmissionNode} from "../../contracts/ZgFlow.sol";
import {ZgMarket} from "../../contracts/ZgMarket.sol";
import {CheatcodeBase} from "./Vm.sol";

/// @dev A market that prices like ZgMarket but refuses the fee.
contract RejectingMarket {
    uint256 public constant pricePerSector = 1;

    receive() external payable {
        revert("no fees");
    }
}

contract ZgFlowTest is CheatcodeBase {
    uint256 internal constant PRICE = 1 gwei;
    address internal constant ALICE = address(0xA11CE);

    ZgMarket internal market;
    ZgFlow internal flow;

    function setUp() public {
        market = new ZgMarket(PRICE);
        flow = new ZgFlow(payable(address(market)));
        vm.deal(address(this), 1000 ether);
        vm.deal(ALICE, 1000 ether);
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------

    function _data(uint256 length, uint256[] memory heights) internal pure returns (SubmissionData memory data) {
        data.length = length;
        data.tags = hex"";
        data.nodes = new SubmissionNode[](heights.length);
        for (uint256 i = 0; i < heights.length; i++) {
            data.nodes[i] = SubmissionNode({root: keccak256(abi.encode("node", i, heights[i])), height: heights[i]});
        }
    }

    function _one(uint256 height) internal pure returns (uint256[] memory h) {
        h = new uint256[](1);
        h[0] = height;
    }

    function _two(uint256 a, uint256 b) internal pure returns (uint256[] memory h) {
        h = new uint256[](2);
        h[0] = a;
        h[1] = b;
    }

    /// @dev A full single-node file of 2^height sectors.
    function _full(uint256 height) internal pure returns (SubmissionData memory) {
        return _data((uint256(1) << height) * 256, _one(height));
    }

    function _sectors(SubmissionData memory data) internal pure returns (uint256 s) {
        for (uint256 i = 0; i < data.nodes.length; i++) {
            s += uint256(1) << data.nodes[i].height;
        }
    }

    function _submit(SubmissionData memory data) internal returns (uint256 index, uint256 start) {
        (index,, start,) = flow.submit{value: _sectors(data) * PRICE}(Submission({data: data, submitter: address(this)}));
    }

    function _digest(SubmissionData memory data) internal pure returns (bytes32) {
        bytes32[] memory roots = new bytes32[](data.nodes.length);
        for (uint256 i = 0; i < roots.length; i++) {
            roots[i] = data.nodes[i].root;
        }
        return keccak256(abi.encodePacked(roots));
    }

    // ---------------------------------------------------------------------------------------------
    // Interface the SDK relies on
    // ---------------------------------------------------------------------------------------------

    function test_selectorsMatchTheSdk() public {
        // The SDK encodes calls from its own ABI: the selectors must be exactly these.
        Submission memory full = Submission({data: _full(0), submitter: address(this)});
        (bool ok,) = address(flow).call{value: PRICE}(abi.encodeWithSelector(bytes4(0xbc8c11f8), full));
        require(ok, "submit(Submission) at 0xbc8c11f8");
        (ok,) = address(flow).call{value: PRICE}(abi.encodeWithSelector(bytes4(0xef3e12dc), _full(0)));
        require(ok, "submit(SubmissionData) at 0xef3e12dc");
        require(flow.submissionIndex() == 2, "both accepted");
    }

    function test_marketAndPrice() public view {
        require(flow.market() == address(market), "market");
        require(market.pricePerSector() == PRICE, "price");
    }

    function test_constructor_rejectsZeroMarket() public {
        vm.expectRevert(ZgFlow.ZeroMarket.selector);
        new ZgFlow(payable(address(0)));
    }

    // ---------------------------------------------------------------------------------------------
    // Event, return values, fee
    // ---------------------------------------------------------------------------------------------

    function test_submit_emitsSubmitWithAllFields() public {
        SubmissionData memory data = _data(17, _one(0));
        vm.expectEmit(address(flow));
        emit ZgFlow.Submit(ALICE, _digest(data), 0, 1, 1, data);
        vm.prank(ALICE);
        (uint256 index, bytes32 digest, uint256 start, uint256 length) =
            flow.submit{value: PRICE}(Submission({data: data, submitter: ALICE}));
        require(index == 0 && start == 1 && length == 1, "returns");
        require(digest == _digest(data), "digest");
        require(flow.submissionIndex() == 1 && flow.currentLength() == 2, "state");
    }

    function test_submit_multiNodeEventLengthIsSectors() public {
        // 768 sectors as two nodes (512 + 256), like the SDK splits a 704..768-sector file.
        SubmissionData memory data = _data(768 * 256, _two(9, 8));
        vm.expectEmit(address(flow));
        emit ZgFlow.Submit(address(this), _digest(data), 0, 1024, 768, data);
        _submit(data);
    }

    function test_submit_forwardsFeeToMarket() public {
        SubmissionData memory data = _full(3);
        vm.expectEmit(address(market));
        emit ZgMarket.FeeReceived(address(flow), 8 * PRICE);
        _submit(data);
        require(address(market).balance == 8 * PRICE, "market got the fee");
        require(address(flow).balance == 0, "flow keeps nothing");
    }

    function test_submit_surplusStaysInTheFlowAndPaysLaterSubmissions() public {
        flow.submit{value: 5 * PRICE}(Submission({data: _full(0), submitter: address(this)}));
        require(address(market).balance == PRICE, "only the fee forwarded");
        require(address(flow).balance == 4 * PRICE, "surplus kept");
        // The surplus counts as paid for the next submission, whoever sends it (as on 0G).
        vm.prank(ALICE);
        flow.submit(Submission({data: _full(2), submitter: ALICE}));
        require(address(market).balance == 5 * PRICE && address(flow).balance == 0, "surplus spent");
    }

    function test_submit_underpaidReverts() public {
        SubmissionData memory data = _full(4);
        vm.expectRevert(abi.encodeWithSelector(ZgFlow.NotEnoughFee.selector, PRICE, 16, 16 * PRICE - 1));
        flow.submit{value: 16 * PRICE - 1}(Submission({data: data, submitter: address(this)}));
    }

    function test_submit_underpaidCountsEarlierSurplus() public {
        flow.submit{value: 3 * PRICE}(Submission({data: _full(0), submitter: address(this)})); // 2 left over
        vm.expectRevert(abi.encodeWithSelector(ZgFlow.NotEnoughFee.selector, PRICE, 8, 2 * PRICE + 5 * PRICE));
        flow.submit{value: 5 * PRICE}(Submission({data: _full(3), submitter: address(this)}));
        flow.submit{value: 6 * PRICE}(Submission({data: _full(3), submitter: address(this)}));
        require(address(flow).balance == 0 && address(market).balance == 9 * PRICE, "exactly paid");
    }

    function testFuzz_feeIsSectorsTimesPrice(uint8 rawHeight, uint96 rawPaid) public {
        uint256 height = uint256(rawHeight) % 20;
        uint256 sectors = uint256(1) << height;
        uint256 required = sectors * PRICE;
        uint256 paid = uint256(rawPaid) % (2 * required + 1);
        SubmissionData memory data = _full(height);
        if (paid < required) {
            vm.expectRevert(abi.encodeWithSelector(ZgFlow.NotEnoughFee.selector, PRICE, sectors, paid));
            flow.submit{value: paid}(Submission({data: data, submitter: address(this)}));
        } else {
            flow.submit{value: paid}(Submission({data: data, submitter: address(this)}));
            require(address(market).balance == required, "fee forwarded");
            require(address(flow).balance == paid - required, "surplus kept");
        }
    }

    function test_submit_revertsWhenMarketRefusesFee() public {
        RejectingMarket bad = new RejectingMarket();
        ZgFlow badFlow = new ZgFlow(payable(address(bad)));
        vm.expectRevert(bytes("no fees"));
        badFlow.submit{value: 1}(Submission({data: _full(0), submitter: address(this)}));
    }

    function test_freeMarketNeedsNoValue() public {
        ZgMarket free = new ZgMarket(0);
        ZgFlow freeFlow = new ZgFlow(payable(address(free)));
        freeFlow.submit(Submission({data: _full(5), submitter: address(this)}));
        require(freeFlow.submissionIndex() == 1, "accepted");
    }

    function test_legacySubmit_usesSenderAsSubmitter() public {
        SubmissionData memory data = _full(1);
        vm.expectEmit(address(flow));
        emit ZgFlow.Submit(ALICE, _digest(data), 0, 2, 2, data);
        vm.prank(ALICE);
        flow.submit{value: 2 * PRICE}(data);
    }

    function test_submit_eventNamesTheSubmitterNotTheSender() public {
        SubmissionData memory data = _full(0);
        vm.expectEmit(address(flow));
        emit ZgFlow.Submit(ALICE, _digest(data), 0, 1, 1, data);
        flow.submit{value: PRICE}(Submission({data: data, submitter: ALICE}));
    }

    // ---------------------------------------------------------------------------------------------
    // Validity
    // ---------------------------------------------------------------------------------------------

    function _expectInvalid() internal {
        vm.expectRevert(bytes("Invalid submission"));
    }

    function test_rejectsZeroSubmitter() public {
        _expectInvalid();
        flow.submit{value: PRICE}(Submission({data: _full(0), submitter: address(0)}));
    }

    function test_rejectsNoNodes() public {
        SubmissionData memory data = _data(256, new uint256[](0));
        _expectInvalid();
        flow.submit(Submission({data: data, submitter: address(this)}));
    }

    function test_rejectsHeightsNotStrictlyDecreasing() public {
        _expectInvalid();
        flow.submit{value: 1 ether}(Submission({data: _data(512, _two(1, 1)), submitter: address(this)}));
        // Increasing heights: the real contract's span check underflows first (panic 0x11).
        vm.expectRevert(abi.encodeWithSignature("Panic(uint256)", 0x11));
        flow.submit{value: 1 ether}(Submission({data: _data(512, _two(1, 2)), submitter: address(this)}));
        uint256[] memory dip = new uint256[](3);
        (dip[0], dip[1], dip[2]) = (3, 1, 2);
        _expectInvalid();
        flow.submit{value: 1 ether}(Submission({data: _data(13 * 256, dip), submitter: address(this)}));
    }

    function test_rejectsHeightSpanOfFourOrMore() public {
        _expectInvalid();
        flow.submit{value: 1 ether}(Submission({data: _data(34 * 256, _two(5, 1)), submitter: address(this)}));
        // A span of 3 is fine: 8 + 1 sectors, 9 sectors of data.
        flow.submit{value: 1 ether}(Submission({data: _data(9 * 256, _two(3, 0)), submitter: address(this)}));
    }

    function test_rejectsHeightOf64() public {
        SubmissionData memory data = _data(256, _one(64));
        _expectInvalid();
        flow.submit(Submission({data: data, submitter: address(this)}));
    }

    function test_rejectsLengthBeyondCapacity() public {
        _expectInvalid();
        flow.submit{value: 1 ether}(Submission({data: _data(4 * 256 + 1, _one(2)), submitter: address(this)}));
    }

    function test_rejectsEmptyAndOverPaddedLengths() public {
        _expectInvalid();
        flow.submit{value: 1 ether}(Submission({data: _data(0, _one(0)), submitter: address(this)}));
        // 3 sectors of data in a 4-sector node: the SDK would have used nodes 2 + 1.
        _expectInvalid();
        flow.submit{value: 1 ether}(Submission({data: _data(3 * 256, _one(2)), submitter: address(this)}));
        // Beyond 16 sectors one node may pad up to 1/16: 961..1024 sectors fit a 1024-sector node.
        _expectInvalid();
        flow.submit{value: 1 ether}(Submission({data: _data(960 * 256, _one(10)), submitter: address(this)}));
        flow.submit{value: 1 ether}(Submission({data: _data(960 * 256 + 1, _one(10)), submitter: address(this)}));
    }

    function test_multiNodeLowerBoundUsesFirstHeight() public {
        // nodes 9 + 8 = 768 sectors; padding may not reach 2^(9-3) = 64 sectors.
        _expectInvalid();
        flow.submit{value: 1 ether}(Submission({data: _data(704 * 256, _two(9, 8)), submitter: address(this)}));
        flow.submit{value: 1 ether}(Submission({data: _data(704 * 256 + 1, _two(9, 8)), submitter: address(this)}));
    }

    function test_invalidSubmissionIsCheckedBeforeTheFee() public {
        _expectInvalid();
        flow.submit(Submission({data: _data(4 * 256 + 1, _one(2)), submitter: address(this)}));
    }

    // ---------------------------------------------------------------------------------------------
    // Placement
    // ---------------------------------------------------------------------------------------------

    function test_placement_startsAtSectorOneAndAligns() public {
        (, uint256 a) = _submit(_full(0)); // 1 sector
        require(a == 1, "first file at sector 1");
        (, uint256 b) = _submit(_full(2)); // 4 sectors, aligned to 4
        require(b == 4, "aligned to its size");
        (, uint256 c) = _submit(_full(0));
        require(c == 8, "right after the previous file");
        (uint256 index, uint256 d) = _submit(_full(10)); // a whole segment
        require(d == 1024, "aligned to 1024");
        require(index == 3, "submission index counts up");
        require(flow.currentLength() == 2048, "length");
    }

    function test_placement_movesToNextSegmentInsteadOfStraddling() public {
        _submit(_full(0)); // sector 1; currentLength = 2
        // 768 sectors (nodes 9 + 8) aligned to 512 would span sectors 512..1279, crossing 1024
        // from an unaligned start: moved to the next segment.
        (, uint256 a) = _submit(_data(768 * 256, _two(9, 8)));
        require(a == 1024, "moved to the next segment");
        // 256 sectors at 1792 end at 2047, inside segment 1: not moved.
        (, uint256 b) = _submit(_full(8));
        require(b == 1792, "fits in the segment");
        _submit(_full(0)); // sector 2048
        // 512 sectors aligned to 2560 end at 3071, inside segment 2: not moved.
        (, uint256 c) = _submit(_full(9));
        require(c == 2560, "aligned, within one segment");
        require(flow.currentLength() == 3072, "length");
    }

    function testFuzz_placementIsAlignedAndNeverStraddlesUnaligned(uint8 h1, uint8 h2, uint8 h3) public {
        uint256[3] memory heights = [uint256(h1) % 13, uint256(h2) % 13, uint256(h3) % 13];
        uint256 previousEnd = 1;
        for (uint256 i = 0; i < 3; i++) {
            uint256 size = uint256(1) << heights[i];
            (, uint256 start) = _submit(_full(heights[i]));
            require(start >= previousEnd, "no overlap");
            require(start % size == 0, "aligned to its size");
            require(start % 1024 == 0 || start / 1024 == (start + size - 1) / 1024, "no unaligned straddle");
            previousEnd = start + size;
        }
        require(flow.currentLength() == previousEnd, "length is the last end");
    }
}
