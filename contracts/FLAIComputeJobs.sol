// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {EnclaveSigned} from "./EnclaveSigned.sol";

/// @title FLAIComputeJobs
/// @notice Escrow for off-chain (TEE) compute jobs, and the registry of attested enclaves.
///         A submitter escrows a reward for a job described by a data root and a model root. An enclave is
///         registered by anyone holding a report signed by the attestation authority pinned at deployment
///         (the stand-in for a TEE vendor's quote verifier) for a measurement the owner accepted: the owner
///         chooses which code is trusted, never which key runs it. A registered enclave signs an EIP-712
///         `JobResult` over everything the result depends on (job id, submitter, deadline, data root, model
///         root) plus the result hash, the result's storage root and payee; the contract rebuilds that message from the job's own
///         record, so a result computed on other inputs, or for another job that happens to share the id
///         (another chain history, another submitter), never verifies. Anyone may relay it to complete the
///         job and pay the signed payee. If no result arrives by the deadline, the submitter can cancel.
/// @dev Storage per job: exactly 3 fresh slots at submission
///        slot A = submitter (160 bits, low) | deadline (uint40) | rewardGwei (uint56, high)
///        slot B = dataRoot, slot C = modelRoot
///      and a 4th and 5th slot (resultHash, resultRoot) written only at completion.
///      Storage per enclave signer: measurement, X25519 encryption key, issuedAt (uint64, low) | expiry (uint64). Status is derived, not stored:
///        Completed  if resultHash != 0
///        Cancelled  if rewardGwei == 0 and resultHash == 0
///        Open       otherwise (rewardGwei > 0 is enforced at submission)
///      EIP-712 domain, signature recovery and payouts: see {EnclaveSigned}.
contract FLAIComputeJobs is EnclaveSigned {
    // ---------------------------------------------------------------------------------------------
    // Types
    // ---------------------------------------------------------------------------------------------

    enum JobStatus {
        None,
        Open,
        Completed,
        Cancelled
    }

    /// @notice ABI view of a job (see {getJob}). `reward` is in wei; it is 0 once the job is no longer open.
    struct Job {
        address submitter;
        uint64 deadline;
        uint256 reward;
        bytes32 dataRoot;
        bytes32 modelRoot;
        bytes32 resultHash;
        /// @dev 0G root of the stored result model: its ciphertext for a private job (the plaintext's sha256 is
        ///      resultHash, so a reader who decrypts checks it), the plaintext itself for a public one.
        bytes32 resultRoot;
        JobStatus status;
    }

    /// @dev Storage form of a job. `packed` is slot A (see contract docs).
    struct JobRecord {
        uint256 packed;
        bytes32 dataRoot;
        bytes32 modelRoot;
        bytes32 resultHash;
        bytes32 resultRoot;
    }

    // ---------------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------------

    error NotOwner(address caller);
    error ZeroAddress();
    error ZeroMeasurement();
    error ZeroReward();
    error RewardNotGweiMultiple(uint256 value);
    error RewardTooLarge(uint256 value);
    error ZeroRoot();
    error DeadlineInPast(uint256 deadline, uint256 nowTs);
    error UnknownJob(uint256 jobId);
    error JobNotOpen(uint256 jobId, JobStatus status);
    error DeadlinePassed(uint256 jobId, uint256 deadline);
    error DeadlineNotReached(uint256 jobId, uint256 deadline);
    error NotSubmitter(uint256 jobId, address caller);
    error ZeroResultHash();
    /// @dev A completed job must say where its result is stored: without a root nobody can fetch the model.
    error ZeroResultRoot();
    error ZeroPayee();
    error InvalidSignature(); // raised by EnclaveSigned._recover, through _revertInvalidSignature
    error UnacceptedEnclave(address signer);
    error PayoutFailed(address payee, uint256 amount); // raised by EnclaveSigned._pay, through _revertPayoutFailed
    error ZeroEncryptionKey();
    /// @dev The report is not signed by the pinned attestation authority (`recovered` signed it).
    error NotAttestedByAuthority(address recovered, address authority);
    error ReportExpired(uint64 expiry, uint256 nowTs);
    error ReportFromFuture(uint64 issuedAt, uint256 nowTs);
    error InvalidReportValidity(uint64 issuedAt, uint64 expiry);
    /// @dev A report no newer than the signer's current registration: replaying an old report must not roll
    ///      the signer back to an earlier measurement, key or expiry.
    error StaleReport(uint64 issuedAt, uint64 registeredIssuedAt);
    error MeasurementNotAccepted(bytes32 measurement);
    /// @dev A zero reader key would read as "none registered" (see {readerKey}).
    error ZeroReaderKey();

    // ---------------------------------------------------------------------------------------------
    // Events
    // ---------------------------------------------------------------------------------------------

    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
    event MeasurementAccepted(bytes32 indexed measurement);
    event MeasurementRevoked(bytes32 indexed measurement);
    /// @dev Carries the whole report and the authority's signature, so anyone reading the chain can re-verify
    ///      the registration against the pinned authority without trusting this contract's code.
    event EnclaveRegistered(
        address indexed signer,
        bytes32 indexed measurement,
        bytes32 encryptionKey,
        uint64 issuedAt,
        uint64 expiry,
        bytes32 r,
        bytes32 vs
    );
    event EnclaveRemoved(address indexed signer);
    /// @dev Every reader key an account set, so its history (and which key an artifact was sealed to) stays on-chain.
    event ReaderKeySet(address indexed account, bytes32 key);
    event JobSubmitted(
        uint256 indexed jobId,
        address indexed submitter,
        bytes32 dataRoot,
        bytes32 modelRoot,
        uint256 reward,
        uint64 deadline
    );
    event JobCompleted(
        uint256 indexed jobId,
        address indexed payee,
        address indexed enclave,
        bytes32 resultHash,
        bytes32 resultRoot,
        uint256 reward
    );
    event JobCancelled(uint256 indexed jobId, address indexed submitter, uint256 refund);

    // ---------------------------------------------------------------------------------------------
    // Constants
    // ---------------------------------------------------------------------------------------------

    bytes32 private constant _JOB_RESULT_TYPEHASH = keccak256(
        "JobResult(uint256 jobId,address submitter,uint64 deadline,bytes32 dataRoot,bytes32 modelRoot,bytes32 resultHash,bytes32 resultRoot,address payee)"
    );

    /// @dev The attestation authority signs reports under a domain bound to no chain and no contract: a report
    ///      states a fact about an enclave (this key runs this code), true wherever it is presented.
    bytes32 private constant _ATTESTATION_DOMAIN_SEPARATOR = keccak256(
        abi.encode(
            keccak256("EIP712Domain(string name,string version)"),
            keccak256("hardhat-flai attestation"),
            keccak256("1")
        )
    );
    bytes32 private constant _ENCLAVE_REPORT_TYPEHASH = keccak256(
        "EnclaveReport(bytes32 measurement,address signer,bytes32 encryptionKey,uint64 issuedAt,uint64 expiry)"
    );
    /// @dev How far ahead of the chain's clock a report's issue time may be (clock skew between authority and chain).
    uint256 private constant _MAX_CLOCK_SKEW = 1 hours;
    uint256 private constant _EXPIRY_SHIFT = 64;
    uint256 private constant _U64_MASK = (1 << 64) - 1;

    uint256 private constant _DEADLINE_SHIFT = 160;
    uint256 private constant _REWARD_SHIFT = 200;
    uint256 private constant _DEADLINE_MASK = (1 << 40) - 1;
    /// @dev Keeps submitter and deadline, clears rewardGwei.
    uint256 private constant _CLEAR_REWARD_MASK = (1 << 200) - 1;
    uint256 private constant _MAX_REWARD_GWEI = (1 << 56) - 1;

    // ---------------------------------------------------------------------------------------------
    // Storage
    // ---------------------------------------------------------------------------------------------

    /// @dev Storage form of an enclave registration. `validity` = issuedAt (low 64 bits) | expiry << 64.
    struct EnclaveRecord {
        bytes32 measurement;
        bytes32 encryptionKey;
        uint256 validity;
    }

    /// @notice The attestation authority whose signature makes a registration: fixed for the contract's life,
    ///         so neither the owner nor anyone else can vouch for a key the authority did not.
    address public immutable attestationAuthority;

    address private _owner;
    uint256 private _jobCount;
    mapping(bytes32 measurement => bool accepted) private _acceptedMeasurements;
    mapping(address signer => EnclaveRecord) private _enclaves;
    mapping(uint256 jobId => JobRecord) private _jobs;
    mapping(address account => bytes32 key) private _readerKeys;

    // ---------------------------------------------------------------------------------------------
    // Construction / ownership
    // ---------------------------------------------------------------------------------------------

    constructor(address initialOwner, address attestationAuthority_) EnclaveSigned("FLAIComputeJobs", "1") {
        if (initialOwner == address(0) || attestationAuthority_ == address(0)) revert ZeroAddress();
        attestationAuthority = attestationAuthority_;
        _owner = initialOwner;
        emit OwnershipTransferred(address(0), initialOwner);
    }

    modifier onlyOwner() {
        if (msg.sender != _owner) revert NotOwner(msg.sender);
        _;
    }

    function owner() external view returns (address) {
        return _owner;
    }

    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) revert ZeroAddress();
        address previous = _owner;
        _owner = newOwner;
        emit OwnershipTransferred(previous, newOwner);
    }

    // ---------------------------------------------------------------------------------------------
    // Enclave registry
    // ---------------------------------------------------------------------------------------------

    function acceptMeasurement(bytes32 measurement) external onlyOwner {
        if (measurement == bytes32(0)) revert ZeroMeasurement();
        _acceptedMeasurements[measurement] = true;
        emit MeasurementAccepted(measurement);
    }

    function revokeMeasurement(bytes32 measurement) external onlyOwner {
        if (measurement == bytes32(0)) revert ZeroMeasurement();
        _acceptedMeasurements[measurement] = false;
        emit MeasurementRevoked(measurement);
    }

    /// @notice Registers `signer` as an enclave running `measurement` with X25519 key `encryptionKey`, on the
    ///         strength of the attestation authority's EIP-712 `EnclaveReport` signature (r, vs). Callable by
    ///         anyone: the authority's signature is the proof, and the owner's only say is which measurements
    ///         are accepted. The report must be unexpired, not issued in the future (beyond clock skew) and
    ///         newer than the signer's current registration.
    function registerEnclave(
        bytes32 measurement,
        address signer,
        bytes32 encryptionKey,
        uint64 issuedAt,
        uint64 expiry,
        bytes32 r,
        bytes32 vs
    ) external {
        if (signer == address(0)) revert ZeroAddress();
        if (measurement == bytes32(0)) revert ZeroMeasurement();
        if (encryptionKey == bytes32(0)) revert ZeroEncryptionKey();
        if (issuedAt >= expiry) revert InvalidReportValidity(issuedAt, expiry);
        if (expiry <= block.timestamp) revert ReportExpired(expiry, block.timestamp);
        if (issuedAt > block.timestamp + _MAX_CLOCK_SKEW) revert ReportFromFuture(issuedAt, block.timestamp);
        address recovered = _recover(hashEnclaveReport(measurement, signer, encryptionKey, issuedAt, expiry), r, vs);
        if (recovered != attestationAuthority) revert NotAttestedByAuthority(recovered, attestationAuthority);
        if (!_acceptedMeasurements[measurement]) revert MeasurementNotAccepted(measurement);
        EnclaveRecord storage record = _enclaves[signer];
        uint64 registeredIssuedAt = uint64(record.validity & _U64_MASK);
        if (issuedAt <= registeredIssuedAt) revert StaleReport(issuedAt, registeredIssuedAt);

        record.measurement = measurement;
        record.encryptionKey = encryptionKey;
        record.validity = uint256(issuedAt) | (uint256(expiry) << _EXPIRY_SHIFT);
        emit EnclaveRegistered(signer, measurement, encryptionKey, issuedAt, expiry, r, vs);
    }

    /// @notice The owner's revocation of one key (e.g. leaked): it needs a newer authority report to come back.
    function removeEnclave(address signer) external onlyOwner {
        if (signer == address(0)) revert ZeroAddress();
        EnclaveRecord storage record = _enclaves[signer];
        record.measurement = bytes32(0);
        record.encryptionKey = bytes32(0);
        // issuedAt stays: a report no newer than the removed one cannot bring the key back.
        record.validity = record.validity & _U64_MASK;
        emit EnclaveRemoved(signer);
    }

    function isMeasurementAccepted(bytes32 measurement) external view returns (bool) {
        return _acceptedMeasurements[measurement];
    }

    /// @notice The measurement `signer` is registered for, or 0 if it is not registered or its report expired.
    function enclaveMeasurement(address signer) external view returns (bytes32) {
        EnclaveRecord storage record = _enclaves[signer];
        return _unexpired(record.validity) ? record.measurement : bytes32(0);
    }

    /// @notice The X25519 public key clients encrypt to for `signer`, or 0 if it is not registered or expired.
    function enclaveEncryptionKey(address signer) external view returns (bytes32) {
        EnclaveRecord storage record = _enclaves[signer];
        return _unexpired(record.validity) ? record.encryptionKey : bytes32(0);
    }

    /// @notice The raw registration of `signer` (expired or not; zero measurement once removed or never registered).
    function enclaveRegistration(address signer)
        external
        view
        returns (bytes32 measurement, bytes32 encryptionKey, uint64 issuedAt, uint64 expiry)
    {
        EnclaveRecord storage record = _enclaves[signer];
        uint256 validity = record.validity;
        return (record.measurement, record.encryptionKey, uint64(validity & _U64_MASK), uint64(validity >> _EXPIRY_SHIFT));
    }

    /// @notice True iff `signer` holds an unexpired registration for a measurement the owner accepts.
    function isAcceptedEnclave(address signer) public view returns (bool) {
        EnclaveRecord storage record = _enclaves[signer];
        bytes32 measurement = record.measurement;
        return measurement != bytes32(0) && _unexpired(record.validity) && _acceptedMeasurements[measurement];
    }

    // ---------------------------------------------------------------------------------------------
    // Reader keys
    // ---------------------------------------------------------------------------------------------

    /// @notice Sets the caller's reader key: the X25519 public key that private artifacts (a job's trained
    ///         model, a federated task's keyring entries) are sealed or wrapped to for it. Parties (job
    ///         submitters, task creators and clients) register here so others can encrypt to them without
    ///         an exchange; an enclave's key stays in its attested registration ({enclaveEncryptionKey}),
    ///         which this does not touch. Any account may set or replace its own key, never another's.
    function setReaderKey(bytes32 key) external {
        if (key == bytes32(0)) revert ZeroReaderKey();
        _readerKeys[msg.sender] = key;
        emit ReaderKeySet(msg.sender, key);
    }

    /// @notice `account`'s reader key, or 0 if it never set one.
    function readerKey(address account) external view returns (bytes32) {
        return _readerKeys[account];
    }

    // ---------------------------------------------------------------------------------------------
    // Jobs
    // ---------------------------------------------------------------------------------------------

    /// @notice Escrow `msg.value` (a whole number of gwei, > 0, < 2^56 gwei) as the reward for a job.
    /// @param deadline absolute unix time (seconds); must be in the future. Completion is possible up to
    ///        and including `deadline`; cancellation only strictly after it.
    function submitJob(bytes32 dataRoot, bytes32 modelRoot, uint40 deadline) external payable returns (uint256 jobId) {
        uint256 value = msg.value;
        if (value == 0) revert ZeroReward();
        if (value % 1 gwei != 0) revert RewardNotGweiMultiple(value);
        uint256 rewardGwei = value / 1 gwei;
        if (rewardGwei > _MAX_REWARD_GWEI) revert RewardTooLarge(value);
        if (dataRoot == bytes32(0) || modelRoot == bytes32(0)) revert ZeroRoot();
        if (deadline <= block.timestamp) revert DeadlineInPast(deadline, block.timestamp);

        unchecked {
            jobId = ++_jobCount;
        }
        JobRecord storage job = _jobs[jobId];
        job.packed =
            uint256(uint160(msg.sender)) | (uint256(deadline) << _DEADLINE_SHIFT) | (rewardGwei << _REWARD_SHIFT);
        job.dataRoot = dataRoot;
        job.modelRoot = modelRoot;

        emit JobSubmitted(jobId, msg.sender, dataRoot, modelRoot, value, deadline);
    }

    /// @notice Complete an open job with a result signed by an accepted enclave and pay the signed payee.
    /// @param resultHash sha256 of the trained model's plaintext bytes.
    /// @param resultRoot 0G root of the model as stored (ciphertext for a private job): the enclave signs it, so
    ///        a host cannot point readers at other bytes.
    /// @param r,vs EIP-2098 compact signature over {hashJobResult}(jobId, resultHash, resultRoot, payee): the signed
    ///        message is rebuilt from this job's record (submitter, deadline, data root, model root), so a signature
    ///        over any other inputs recovers another address and is refused as `UnacceptedEnclave`.
    function completeJob(uint256 jobId, bytes32 resultHash, bytes32 resultRoot, address payee, bytes32 r, bytes32 vs)
        external
    {
        JobRecord storage job = _jobs[jobId];
        uint256 packed = job.packed;
        uint256 rewardGwei = packed >> _REWARD_SHIFT;
        if (rewardGwei == 0) _revertNotOpen(jobId, packed, job);
        uint256 deadline = (packed >> _DEADLINE_SHIFT) & _DEADLINE_MASK;
        if (block.timestamp > deadline) revert DeadlinePassed(jobId, deadline);
        if (resultHash == bytes32(0)) revert ZeroResultHash();
        if (resultRoot == bytes32(0)) revert ZeroResultRoot();
        if (payee == address(0)) revert ZeroPayee();

        address signer = _recover(_jobResultDigest(jobId, packed, job, resultHash, resultRoot, payee), r, vs);
        if (!isAcceptedEnclave(signer)) revert UnacceptedEnclave(signer);

        // Effects (the job is no longer Open from here on: resultHash != 0 and rewardGwei == 0).
        job.resultHash = resultHash;
        job.resultRoot = resultRoot;
        job.packed = packed & _CLEAR_REWARD_MASK;
        uint256 reward = rewardGwei * 1 gwei;
        emit JobCompleted(jobId, payee, signer, resultHash, resultRoot, reward);

        // Interaction.
        _pay(payee, reward);
    }

    /// @notice Refund the escrow of an open job to its submitter once the deadline has passed.
    function cancelJob(uint256 jobId) external {
        JobRecord storage job = _jobs[jobId];
        uint256 packed = job.packed;
        if (packed == 0) revert UnknownJob(jobId);
        address submitter = address(uint160(packed));
        if (msg.sender != submitter) revert NotSubmitter(jobId, msg.sender);
        uint256 rewardGwei = packed >> _REWARD_SHIFT;
        if (rewardGwei == 0) _revertNotOpen(jobId, packed, job);
        uint256 deadline = (packed >> _DEADLINE_SHIFT) & _DEADLINE_MASK;
        if (block.timestamp <= deadline) revert DeadlineNotReached(jobId, deadline);

        // Effects (rewardGwei == 0 and resultHash == 0 => Cancelled).
        job.packed = packed & _CLEAR_REWARD_MASK;
        uint256 refund = rewardGwei * 1 gwei;
        emit JobCancelled(jobId, submitter, refund);

        // Interaction.
        _pay(submitter, refund);
    }

    function getJob(uint256 jobId) external view returns (Job memory job) {
        JobRecord storage record = _jobs[jobId];
        uint256 packed = record.packed;
        if (packed == 0) revert UnknownJob(jobId);
        bytes32 resultHash = record.resultHash;
        uint256 rewardGwei = packed >> _REWARD_SHIFT;

        job.submitter = address(uint160(packed));
        job.deadline = uint64((packed >> _DEADLINE_SHIFT) & _DEADLINE_MASK);
        job.reward = rewardGwei * 1 gwei;
        job.dataRoot = record.dataRoot;
        job.modelRoot = record.modelRoot;
        job.resultHash = resultHash;
        job.resultRoot = record.resultRoot;
        job.status = _status(rewardGwei, resultHash);
    }

    function jobCount() external view returns (uint256) {
        return _jobCount;
    }

    // ---------------------------------------------------------------------------------------------
    // EIP-712
    // ---------------------------------------------------------------------------------------------

    /// @notice The EIP-712 digest an enclave signs to complete job `jobId` as it is recorded here:
    ///         `JobResult(uint256 jobId,address submitter,uint64 deadline,bytes32 dataRoot,bytes32 modelRoot,
    ///         bytes32 resultHash,bytes32 resultRoot,address payee)` under the domain (name "FLAIComputeJobs",
    ///         version "1", chainId, this contract). For an unknown job the job fields are zero.
    function hashJobResult(uint256 jobId, bytes32 resultHash, bytes32 resultRoot, address payee)
        public
        view
        returns (bytes32)
    {
        JobRecord storage job = _jobs[jobId];
        return _jobResultDigest(jobId, job.packed, job, resultHash, resultRoot, payee);
    }

    /// @notice The same digest for any field values: what an enclave signs for a job with these inputs.
    function hashJobResultFor(
        uint256 jobId,
        address submitter,
        uint64 deadline,
        bytes32 dataRoot,
        bytes32 modelRoot,
        bytes32 resultHash,
        bytes32 resultRoot,
        address payee
    ) public view returns (bytes32) {
        return _hashTypedData(
            keccak256(
                abi.encode(
                    _JOB_RESULT_TYPEHASH, jobId, submitter, deadline, dataRoot, modelRoot, resultHash, resultRoot, payee
                )
            )
        );
    }

    /// @notice The EIP-712 digest the attestation authority signs for an enclave report, under the chain- and
    ///         contract-independent domain (name "hardhat-flai attestation", version "1").
    function hashEnclaveReport(bytes32 measurement, address signer, bytes32 encryptionKey, uint64 issuedAt, uint64 expiry)
        public
        pure
        returns (bytes32)
    {
        bytes32 structHash =
            keccak256(abi.encode(_ENCLAVE_REPORT_TYPEHASH, measurement, signer, encryptionKey, issuedAt, expiry));
        return keccak256(abi.encodePacked(hex"1901", _ATTESTATION_DOMAIN_SEPARATOR, structHash));
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    /// @dev {hashJobResult} from an already loaded slot A (`packed`); reads the two roots from the record.
    function _jobResultDigest(
        uint256 jobId,
        uint256 packed,
        JobRecord storage job,
        bytes32 resultHash,
        bytes32 resultRoot,
        address payee
    ) private view returns (bytes32 digest) {
        bytes32 typeHash = _JOB_RESULT_TYPEHASH;
        bytes32 dataRoot = job.dataRoot;
        bytes32 modelRoot = job.modelRoot;
        bytes32 structHash;
        assembly ("memory-safe") {
            // structHash = keccak256(abi.encode(TYPEHASH, jobId, submitter, deadline, dataRoot, modelRoot, resultHash,
            //                                   resultRoot, payee))
            let ptr := mload(0x40)
            mstore(ptr, typeHash)
            mstore(add(ptr, 0x20), jobId)
            mstore(add(ptr, 0x40), and(packed, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x60), and(shr(160, packed), 0xffffffffff))
            mstore(add(ptr, 0x80), dataRoot)
            mstore(add(ptr, 0xa0), modelRoot)
            mstore(add(ptr, 0xc0), resultHash)
            mstore(add(ptr, 0xe0), resultRoot)
            mstore(add(ptr, 0x100), and(payee, 0xffffffffffffffffffffffffffffffffffffffff))
            structHash := keccak256(ptr, 0x120)
        }
        digest = _hashTypedData(structHash);
    }

    function _unexpired(uint256 validity) private view returns (bool) {
        return block.timestamp < (validity >> _EXPIRY_SHIFT);
    }

    function _status(uint256 rewardGwei, bytes32 resultHash) private pure returns (JobStatus) {
        if (resultHash != bytes32(0)) return JobStatus.Completed;
        if (rewardGwei == 0) return JobStatus.Cancelled;
        return JobStatus.Open;
    }

    /// @dev Called when rewardGwei == 0: the job is unknown, completed or cancelled.
    function _revertNotOpen(uint256 jobId, uint256 packed, JobRecord storage job) private view {
        if (packed == 0) revert UnknownJob(jobId);
        revert JobNotOpen(jobId, _status(0, job.resultHash));
    }

    function _revertInvalidSignature() internal pure override {
        revert InvalidSignature();
    }

    function _revertPayoutFailed(address payee, uint256 amount) internal pure override {
        revert PayoutFailed(payee, amount);
    }
}
