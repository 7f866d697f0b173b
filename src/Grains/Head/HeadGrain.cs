using Granary.Grains.SiloPlacement;
using Granary.Grains.Hosting;
using Granary.Runtime.Grains;
using Granary.Runtime.Wire;
using Orleans;
using Orleans.Concurrency;

namespace Granary.Grains.Head;

/// <summary>
/// The head grain: Orleans' entry point to the control plane, one activation on the head silo. It only
/// forwards to the silo's <see cref="HeadService"/>, which keeps the state; reentrant, because lease and
/// actor requests wait for resources and must not hold up anyone else's calls.
/// </summary>
[HeadPlacement]
[Reentrant]
internal sealed class HeadGrain(SiloRuntime silo) : Grain, IHeadGrain
{
    private HeadService Head => silo.Head ?? throw new GranaryException($"Silo {silo.NodeId} is not the head, yet the head grain was placed on it.");

    public Task<ClusterConfig> GetClusterConfig(CancellationToken cancellationToken) => Task.FromResult(Head.ClusterConfig());

    public Task<ClusterView> RegisterNode(NodeInfo node, CancellationToken cancellationToken) => Head.RegisterAsync(node, cancellationToken);

    public Task<HeartbeatReply> Heartbeat(Heartbeat heartbeat, CancellationToken cancellationToken) => Head.HeartbeatAsync(heartbeat);

    public Task Drain(string nodeId, CancellationToken cancellationToken) => Head.DrainAsync(nodeId);

    public Task Deregister(string nodeId, CancellationToken cancellationToken) => Head.DeregisterAsync(nodeId);

    public async Task<ClusterView> GetClusterView(CancellationToken cancellationToken)
    {
        await Head.Restored;
        return Head.View();
    }

    public async Task<StatusReport> GetStatus(CancellationToken cancellationToken)
    {
        await Head.Restored;
        return Head.Status();
    }

    public Task JobConnected(string jobId, IJobObserver observer, CancellationToken cancellationToken)
    {
        Head.JobConnected(jobId, observer);
        return Task.CompletedTask;
    }

    public Task JobFinished(string jobId, CancellationToken cancellationToken) => Head.JobFinishedAsync(jobId);

    public Task ShipLogs(LogBatch batch, CancellationToken cancellationToken) => Head.ShipLogsAsync(batch);

    public Task<MissingAssemblies> RegisterJobCode(RegisterJobCode request, CancellationToken cancellationToken) => Head.RegisterJobCodeAsync(request, cancellationToken);

    public Task UploadAssembly(UploadAssembly upload, CancellationToken cancellationToken) => Head.UploadAsync(upload, cancellationToken);

    public Task<JobManifest> GetJobManifest(string jobId, CancellationToken cancellationToken) => Head.ManifestAsync(jobId);

    public Task<AssemblyBlob> FetchAssembly(string hash, CancellationToken cancellationToken) => Head.FetchAsync(hash);

    public Task<LeaseGrant> RequestLease(RequestLease request, CancellationToken cancellationToken) => Head.GrantAsync(request, cancellationToken);

    public Task ReportGpuUse(GpuUseReport report, CancellationToken cancellationToken)
    {
        Head.ReportGpuUse(report);
        return Task.CompletedTask;
    }

    public Task ReturnLease(string leaseId)
    {
        Head.ReturnLease(leaseId);
        return Task.CompletedTask;
    }

    public Task<PlacementGroupInfo> CreatePlacementGroup(CreatePlacementGroup request, CancellationToken cancellationToken) => Head.CreateGroupAsync(request, cancellationToken);

    public Task RemovePlacementGroup(string groupId, CancellationToken cancellationToken) => Head.RemoveGroupAsync(groupId);

    public Task<ActorInfo> CreateActor(ActorSpec spec, CancellationToken cancellationToken) => Head.CreateActorAsync(spec, cancellationToken);

    public Task<ActorInfo> GetNamedActor(string name, string ns, string jobId, CancellationToken cancellationToken) => Head.GetNamedAsync(name, ns, jobId);

    public Task KillActor(string actorId, string ns, string jobId, CancellationToken cancellationToken) => Head.KillAsync(actorId, ns, jobId);

    public Task<ActorInfo> AwaitActor(ActorLookup lookup, CancellationToken cancellationToken) => Head.AwaitActorAsync(lookup, cancellationToken);

    public async Task<string> LocateActor(string grainKey, CancellationToken cancellationToken)
    {
        await Head.Restored;
        return Head.Actors.Locate(grainKey);
    }

    public Task<ActorList> ListActors(CancellationToken cancellationToken) => Head.ListActorsAsync();

    public Task<LaunchGathered> LaunchGather(LaunchGather gather, CancellationToken cancellationToken) => Head.Launches.GatherAsync(gather, cancellationToken);

    public Task CompleteLaunch(LaunchCompletion completion, CancellationToken cancellationToken)
    {
        Head.Launches.Complete(completion);
        return Task.CompletedTask;
    }

    public Task<LaunchCompletion> AwaitLaunchCompletion(string launchId, CancellationToken cancellationToken) => Head.Launches.AwaitCompletionAsync(launchId, cancellationToken);

    public Task EndLaunch(string launchId, CancellationToken cancellationToken)
    {
        Head.Launches.End(launchId);
        return Task.CompletedTask;
    }

    public Task UploadSubmissionChunk(SubmissionChunk chunk, CancellationToken cancellationToken)
    {
        Head.Submissions.AddChunk(chunk);
        return Task.CompletedTask;
    }

    public Task<SubmissionInfo> SubmitJob(SubmitJob submit, CancellationToken cancellationToken) => Task.FromResult(Head.Submissions.Submit(submit));

    public Task<SubmissionInfo> GetSubmission(string submissionId, CancellationToken cancellationToken) => Task.FromResult(Head.Submissions.Get(submissionId));

    public Task<SubmissionList> ListSubmissions(CancellationToken cancellationToken) => Task.FromResult(Head.Submissions.List());

    public Task<SubmissionLogs> ReadSubmissionLogs(ReadSubmissionLogs read, CancellationToken cancellationToken) => Head.Submissions.ReadLogsAsync(read, cancellationToken);

    public Task<SubmissionInfo> StopSubmission(string submissionId, CancellationToken cancellationToken) => Head.Submissions.StopAsync(submissionId);

    public Task<SubmissionChunk> ReadSubmissionPackage(string submissionId, long offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Head.Submissions.ReadPackage(submissionId, offset, count));

    public Task ShipDriverLines(DriverLines lines, CancellationToken cancellationToken)
    {
        Head.Submissions.AddLines(lines);
        return Task.CompletedTask;
    }

    public Task DriverExited(DriverExited exited, CancellationToken cancellationToken)
    {
        Head.Submissions.Exited(exited);
        return Task.CompletedTask;
    }
}
