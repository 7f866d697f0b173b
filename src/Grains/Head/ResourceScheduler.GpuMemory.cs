using Granary.Runtime.Scheduling;
using Granary.Runtime.Wire;

namespace Granary.Grains.Head;

/// <summary>
/// Packing by GPU memory (RemoteOptions.GpuMemory): a request takes a share of one device sized in bytes,
/// on the device across every node that it fills best, so whole devices stay free for whole requests and
/// for profiling. A profiled job type's first request gets a device to itself instead (see <see cref="GpuProfiles"/>).
/// Such leases carry one task each, so every run is placed by the profile as it stands then.
/// </summary>
internal sealed partial class ResourceScheduler
{
    private GpuProfiles? _profiles;

    /// <summary>The job types' profiles (created with the default margin unless <see cref="GpuMemoryMargin"/> was set first).</summary>
    private GpuProfiles Profiles => _profiles ??= new GpuProfiles(GranaryDefaults.GpuMemoryMargin);

    /// <summary>What packing adds to a measured profile, as a share of it; set before the first request.</summary>
    public double GpuMemoryMargin
    {
        get { lock (_gate) { return Profiles.Margin; } }
        init => _profiles = new GpuProfiles(value);
    }

    /// <summary>A node measured a GPU memory run: the profile is kept, raised or left, and waiting requests retried.</summary>
    public void ReportGpuUse(GpuUseReport report)
    {
        List<Action> completions = [];
        lock (_gate)
        {
            if (report.JobType.Length == 0)
            {
                return;
            }

            Profiles.Record(report);
            RetryPendingLocked(completions);
        }

        Run(completions);
    }

    /// <summary>The profile's peak of <paramref name="jobType"/> (tests, status); null while it has none.</summary>
    public long? GpuProfileOf(string jobType)
    {
        lock (_gate)
        {
            return Profiles.PeakOf(jobType);
        }
    }

    public IReadOnlyList<GpuProfileInfo> GpuProfilesSnapshot()
    {
        lock (_gate)
        {
            return [.. Profiles.Snapshot()];
        }
    }

    /// <summary>What is reserved on every GPU of every live node, and by which job types.</summary>
    public IReadOnlyList<GpuReservation> GpuReservations()
    {
        lock (_gate)
        {
            var reservations = new List<GpuReservation>();
            foreach (var node in _nodes.Where(n => n.Present))
            {
                for (var device = 0; device < node.Gpus.DeviceCount; device++)
                {
                    var reservation = new GpuReservation
                    {
                        NodeId = node.NodeId,
                        Index = device < node.Info.Gpus.Count ? node.Info.Gpus[device].Index : device,
                        ReservedShare = node.Gpus.TakenOn(device),
                        MemoryBytes = node.Gpus.MemoryOf(device),
                    };
                    reservation.ReservedBytes = (long)Math.Round(reservation.ReservedShare * reservation.MemoryBytes);
                    reservation.JobTypes.AddRange(_leases.Values
                        .Where(l => l.Node == node && l.GpuIds.Contains(device) && l.GpuMemory is not null)
                        .Select(l => l.GpuMemory!.JobType).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
                    reservations.Add(reservation);
                }
            }

            return reservations;
        }
    }

    private LeaseGrant? TryGrantGpuMemoryLocked(string holder, ResourceSet request, Runtime.Wire.Placement placement, GpuMemoryRequest gpuMemory)
    {
        bool profiling;
        long bytes;
        if (gpuMemory.Alone || gpuMemory.Bytes <= 0)
        {
            var decision = gpuMemory.Alone ? new GpuProfileDecision(GpuProfileMode.Profile, 0) : Profiles.Decide(gpuMemory.JobType);
            if (decision.Mode == GpuProfileMode.Wait)
            {
                return null;
            }

            profiling = decision.Mode == GpuProfileMode.Profile;
            bytes = decision.ReserveBytes;
        }
        else
        {
            profiling = false;
            bytes = gpuMemory.Bytes;
        }

        var director = _directors.For(placement.Kind);
        var fitting = director.Eligible(_nodes, placement).Where(n => n.Schedulable && n.Available.Fits(request)).ToList();
        return profiling ? TryGrantWholeDeviceLocked(holder, request, fitting, director, placement, gpuMemory) : TryGrantBytesLocked(holder, request, fitting, bytes, gpuMemory, clampToDevice: gpuMemory.Bytes <= 0);
    }

    /// <summary>A device nothing else is on, for a run measured alone (a profiling run, or a retry after running out of memory).</summary>
    private LeaseGrant? TryGrantWholeDeviceLocked(string holder, ResourceSet request, List<NodeRecord> fitting, Placement.IPlacementDirector director, Runtime.Wire.Placement placement, GpuMemoryRequest gpuMemory)
    {
        var withFreeDevice = fitting.Where(n => Enumerable.Range(0, n.Gpus.DeviceCount).Any(n.Gpus.IsFree)).ToList();
        if (withFreeDevice.Count == 0)
        {
            return null;
        }

        var node = director.Choose(withFreeDevice, placement);
        var ids = node.Gpus.TryAllocate(1)!;
        var amount = WithGpuShare(request, 1);
        node.Available.Subtract(amount);
        var grant = new GpuMemoryGrant { JobType = gpuMemory.JobType, ReservedBytes = node.Gpus.MemoryOf(ids[0]), Profiling = true, DeviceBytes = node.Gpus.MemoryOf(ids[0]) };
        var lease = RecordLeaseLocked(holder, node, amount, ids, bundle: null, grant);
        lease.Spare = 0;
        lease.GpuMemory = grant;
        if (gpuMemory.Bytes <= 0 && !gpuMemory.Alone)
        {
            Profiles.StartProfiling(gpuMemory.JobType, lease.LeaseId);
        }

        return lease;
    }

    /// <summary>The device across all fitting nodes that <paramref name="bytes"/> fills best: packing by memory.</summary>
    /// <param name="clampToDevice">For profiles: one whose margin passes a device's memory takes that whole device (declared bytes never do).</param>
    private LeaseGrant? TryGrantBytesLocked(string holder, ResourceSet request, List<NodeRecord> fitting, long bytes, GpuMemoryRequest gpuMemory, bool clampToDevice)
    {
        (NodeRecord Node, int Device, long Left)? best = null;
        foreach (var node in fitting)
        {
            if (node.Gpus.BestFitBytes(bytes, clampToDevice) is { } fit && (best is null || fit.LeftBytes < best.Value.Left))
            {
                best = (node, fit.Device, fit.LeftBytes);
            }
        }

        if (best is not { } chosen)
        {
            return null;
        }

        var share = chosen.Node.Gpus.TryAllocateBytes(chosen.Device, bytes, clampToDevice)!.Value;
        bytes = clampToDevice ? Math.Min(bytes, chosen.Node.Gpus.MemoryOf(chosen.Device)) : bytes;
        var amount = WithGpuShare(request, share);
        chosen.Node.Available.Subtract(amount);
        var grant = new GpuMemoryGrant { JobType = gpuMemory.JobType, ReservedBytes = bytes, Profiling = false, DeviceBytes = chosen.Node.Gpus.MemoryOf(chosen.Device) };
        var lease = RecordLeaseLocked(holder, chosen.Node, amount, [chosen.Device], bundle: null, grant);
        lease.Spare = 0;
        lease.GpuMemory = grant;
        return lease;
    }

    private static ResourceSet WithGpuShare(ResourceSet request, double share)
    {
        var amounts = request.Amounts.ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
        amounts[ResourceSet.Gpu] = amounts.GetValueOrDefault(ResourceSet.Gpu) + share;
        return new ResourceSet(amounts);
    }

    /// <summary>A GPU memory request no live node could ever take: no GPUs, or more bytes than its largest device.</summary>
    private Exception? GpuMemoryInfeasibleLocked(ResourceSet request, Runtime.Wire.Placement placement, GpuMemoryRequest? gpuMemory)
    {
        if (gpuMemory is null)
        {
            return null;
        }

        if (gpuMemory.JobType.Length == 0 && gpuMemory.Bytes <= 0)
        {
            return new InfeasibleResourcesException("A GPU memory request names neither bytes nor a job type; the client sent a malformed request.");
        }

        var present = _nodes.Where(n => n.Present).ToList();
        if (present.Count == 0 || (present.All(n => n.IsHead) && Environment.TickCount64 < _workerGraceUntil))
        {
            return null;
        }

        var eligible = _directors.For(placement.Kind).Eligible(present, placement).Where(n => n.Total.Fits(request)).ToList();
        var largest = eligible.Count == 0 ? 0 : eligible.Max(n => n.Gpus.LargestMemory);
        if (largest == 0)
        {
            return new InfeasibleResourcesException(
                $"GPU memory request ({Describe(gpuMemory)}) can never be scheduled: no live node that fits {request} has a GPU whose memory Granary knows. Start a node with GPUs (or --gpus N to simulate them).");
        }

        var needs = gpuMemory.Bytes > 0 && !gpuMemory.Alone ? gpuMemory.Bytes : 0;
        if (needs > largest)
        {
            return new InfeasibleResourcesException(
                $"GPU memory request of {needs / 1e9:0.##} GB can never be scheduled: the largest GPU of any live node has {largest / 1e9:0.##} GB. Ask for less, or start a node with a larger GPU.");
        }

        return null;
    }

    private static string Describe(GpuMemoryRequest request) => request.Bytes > 0 ? $"{request.Bytes / 1e9:0.##} GB" : $"profiled job type {request.JobType}";

    /// <summary>A GPU memory lease ended: a profiling one that never reported lets its type be profiled again.</summary>
    private void GpuLeaseEndedLocked(LeaseState lease)
    {
        if (lease.GpuMemory is { Profiling: true } grant && grant.JobType.Length > 0)
        {
            Profiles.LeaseEnded(grant.JobType, lease.Id);
        }
    }

    /// <summary>Real devices' counters from a heartbeat: memory in use there, whoever uses it, is not offered.</summary>
    private static void MeasuredGpuUseLocked(NodeRecord node, NodeSample? sample)
    {
        if (sample is null)
        {
            return;
        }

        for (var position = 0; position < node.Info.Gpus.Count && position < node.Gpus.DeviceCount; position++)
        {
            var index = node.Info.Gpus[position].Index;
            var measured = sample.Gpus.FirstOrDefault(g => g.Index == index);
            if (measured is { Simulated: false })
            {
                node.Gpus.SetMeasuredUse(position, measured.MemoryUsedBytes);
            }
        }
    }
}
