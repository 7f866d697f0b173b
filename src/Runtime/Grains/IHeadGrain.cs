using Granary.Runtime.Wire;
using Orleans;
using Orleans.Concurrency;

namespace Granary.Runtime.Grains;

/// <summary>
/// The control plane: one activation per cluster, on the head silo (<see cref="HeadGrainKey"/>). Nodes
/// register and report their load here; clients lease resources, register their job's code, create and
/// find actors and placement groups. Membership itself is Orleans'; the head follows it. Calls that can
/// wait on resources (leases, actors, groups) carry a long response timeout: a busy cluster makes them
/// wait, never fail.
/// </summary>
internal interface IHeadGrain : IGrainWithIntegerKey
{
    /// <summary>The one key of the head grain.</summary>
    const long HeadGrainKey = 0;

    /// <summary>How a silo joins: the cluster's ids and membership to use (a worker asks before it starts its silo).</summary>
    Task<ClusterConfig> GetClusterConfig(CancellationToken cancellationToken = default);

    Task<ClusterView> RegisterNode(NodeInfo node, CancellationToken cancellationToken = default);

    Task<HeartbeatReply> Heartbeat(Heartbeat heartbeat, CancellationToken cancellationToken = default);

    Task Drain(string nodeId, CancellationToken cancellationToken = default);

    Task Deregister(string nodeId, CancellationToken cancellationToken = default);

    Task<ClusterView> GetClusterView(CancellationToken cancellationToken = default);

    Task<StatusReport> GetStatus(CancellationToken cancellationToken = default);

    /// <summary>A client starts (or, after a head restart, resumes) its job; repeated as the job's keep-alive.</summary>
    Task JobConnected(string jobId, IJobObserver observer, CancellationToken cancellationToken = default);

    /// <summary>The client says goodbye: its job ends now.</summary>
    Task JobFinished(string jobId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Lines a job's tasks wrote in one process, for the job's client (its observer's <see cref="IJobObserver.Logs"/>).
    /// Answered once passed on, so a process sends its batches one after another, in order.
    /// </summary>
    Task ShipLogs(LogBatch batch, CancellationToken cancellationToken = default);

    Task<MissingAssemblies> RegisterJobCode(RegisterJobCode request, CancellationToken cancellationToken = default);

    Task UploadAssembly(UploadAssembly upload, CancellationToken cancellationToken = default);

    Task<JobManifest> GetJobManifest(string jobId, CancellationToken cancellationToken = default);

    Task<AssemblyBlob> FetchAssembly(string hash, CancellationToken cancellationToken = default);

    [ResponseTimeout(GrainTimeouts.Unbounded)]
    Task<LeaseGrant> RequestLease(RequestLease request, CancellationToken cancellationToken = default);

    [OneWay]
    Task ReturnLease(string leaseId);

    /// <summary>A node measured a run on a GPU memory lease: the head keeps, raises or drops its job type's profile.</summary>
    Task ReportGpuUse(GpuUseReport report, CancellationToken cancellationToken = default);

    [ResponseTimeout(GrainTimeouts.Unbounded)]
    Task<PlacementGroupInfo> CreatePlacementGroup(CreatePlacementGroup request, CancellationToken cancellationToken = default);

    Task RemovePlacementGroup(string groupId, CancellationToken cancellationToken = default);

    [ResponseTimeout(GrainTimeouts.Unbounded)]
    Task<ActorInfo> CreateActor(ActorSpec spec, CancellationToken cancellationToken = default);

    /// <summary>A named actor of namespace <paramref name="ns"/> (empty: job <paramref name="jobId"/>'s namespace).</summary>
    Task<ActorInfo> GetNamedActor(string name, string ns, string jobId, CancellationToken cancellationToken = default);

    /// <summary>Kills an actor of namespace <paramref name="ns"/> (empty: job <paramref name="jobId"/>'s); an actor of another namespace is refused.</summary>
    Task KillActor(string actorId, string ns, string jobId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The actor once it lives in incarnation <see cref="ActorLookup.MinRestarts"/> or later, or is dead for good
    /// (with the reason); after the head's bound, as it is then. A client whose actor's node died asks this.
    /// </summary>
    [ResponseTimeout("00:02:00")]
    Task<ActorInfo> AwaitActor(ActorLookup lookup, CancellationToken cancellationToken = default);

    /// <summary>The node a live actor runs on, by its grain key (<see cref="ActorKeys"/>); empty when there is no such actor.</summary>
    Task<string> LocateActor(string grainKey, CancellationToken cancellationToken = default);

    Task<ActorList> ListActors(CancellationToken cancellationToken = default);

    /// <summary>A rank's part of a launch's gathering (rendezvous, barrier, small all-gather): every payload once all ranks gave theirs.</summary>
    [ResponseTimeout(GrainTimeouts.Unbounded)]
    Task<LaunchGathered> LaunchGather(LaunchGather gather, CancellationToken cancellationToken = default);

    /// <summary>Writes a launch's completion marker (once; later writes are ignored).</summary>
    Task CompleteLaunch(LaunchCompletion completion, CancellationToken cancellationToken = default);

    /// <summary>Waits for a launch's completion marker.</summary>
    [ResponseTimeout(GrainTimeouts.Unbounded)]
    Task<LaunchCompletion> AwaitLaunchCompletion(string launchId, CancellationToken cancellationToken = default);

    /// <summary>The launch's client is done with it: its state goes, and ranks still waiting fail.</summary>
    Task EndLaunch(string launchId, CancellationToken cancellationToken = default);

    /// <summary>A piece of a submission's files; the head refuses pieces past <see cref="GranaryDefaults.MaxSubmissionBytes"/>.</summary>
    Task UploadSubmissionChunk(SubmissionChunk chunk, CancellationToken cancellationToken = default);

    /// <summary>Starts an uploaded submission: answered at once, PENDING until a node with its resources takes it.</summary>
    Task<SubmissionInfo> SubmitJob(SubmitJob submit, CancellationToken cancellationToken = default);

    /// <summary>One submission; an unknown id fails naming `granary job list`.</summary>
    Task<SubmissionInfo> GetSubmission(string submissionId, CancellationToken cancellationToken = default);

    Task<SubmissionList> ListSubmissions(CancellationToken cancellationToken = default);

    /// <summary>A submission's output from an index on; waits up to the request's wait_ms for a line.</summary>
    [ResponseTimeout("00:01:00")]
    Task<SubmissionLogs> ReadSubmissionLogs(ReadSubmissionLogs read, CancellationToken cancellationToken = default);

    /// <summary>Kills a submission's driver and the processes it started (or drops it while PENDING): it ends STOPPED.</summary>
    Task<SubmissionInfo> StopSubmission(string submissionId, CancellationToken cancellationToken = default);

    /// <summary>A node reads a submission's files to unpack them.</summary>
    Task<SubmissionChunk> ReadSubmissionPackage(string submissionId, long offset, int count, CancellationToken cancellationToken = default);

    /// <summary>A node passes on lines its driver wrote; answered once kept, so a node sends batches in order.</summary>
    Task ShipDriverLines(DriverLines lines, CancellationToken cancellationToken = default);

    /// <summary>A node's driver ended, after its last lines.</summary>
    Task DriverExited(DriverExited exited, CancellationToken cancellationToken = default);
}
