using Granary.Runtime.Wire;

namespace Granary.Grains.Head;

/// <summary>
/// The head's GPU memory profiles, one per job type (GLB's rule): a type nobody measured yet runs alone on
/// a device while its node measures it; calls of that type wait meanwhile; the measured peak is kept only
/// when the run succeeded, and later calls are packed by it plus <see cref="Margin"/>. A type that fails
/// keeps running one call at a time, alone, each run a new try at profiling it. A packed run that used more
/// than its reservation, or ran out of memory beside others, raises the profile and has the type measured
/// again. Not thread-safe: the scheduler's lock guards it.
/// </summary>
internal sealed class GpuProfiles(double margin)
{
    private readonly Dictionary<string, Entry> _types = new(StringComparer.Ordinal);

    /// <summary>What packing adds to a profile, as a share of it (0.1: 10 % more than measured).</summary>
    public double Margin { get; } = margin;

    /// <summary>How a request of <paramref name="jobType"/> is placed now.</summary>
    public GpuProfileDecision Decide(string jobType)
    {
        var entry = EntryOf(jobType);
        if (entry.ProfilingLease is not null)
        {
            return new GpuProfileDecision(GpuProfileMode.Wait, 0);
        }

        if (entry.PeakBytes is { } peak && !entry.Reprofile)
        {
            return new GpuProfileDecision(GpuProfileMode.Packed, Reservation(peak));
        }

        return new GpuProfileDecision(GpuProfileMode.Profile, 0);
    }

    /// <summary>The bytes packing reserves for a profile of <paramref name="peakBytes"/>.</summary>
    public long Reservation(long peakBytes) => (long)Math.Ceiling(Math.Max(1, peakBytes) * (1 + Margin));

    /// <summary>A device was granted to profile <paramref name="jobType"/> on <paramref name="leaseId"/>.</summary>
    public void StartProfiling(string jobType, string leaseId) => EntryOf(jobType).ProfilingLease = leaseId;

    /// <summary>The profiling lease went back (or died) without a report: the type may be profiled again.</summary>
    public bool LeaseEnded(string jobType, string leaseId)
    {
        if (_types.TryGetValue(jobType, out var entry) && entry.ProfilingLease == leaseId)
        {
            entry.ProfilingLease = null;
            return true;
        }

        return false;
    }

    /// <summary>A node measured a run; returns true when waiting requests of the type may now be placed.</summary>
    public bool Record(GpuUseReport report)
    {
        var entry = EntryOf(report.JobType);
        var wasProfiling = entry.ProfilingLease is not null && entry.ProfilingLease == report.LeaseId && report.Profiling;
        if (wasProfiling)
        {
            entry.ProfilingLease = null;
        }

        switch (report.Outcome)
        {
            case GpuRunOutcome.Succeeded:
                entry.Runs++;
                if (report.Profiling)
                {
                    // Only a run alone on its device measures the type itself; after an out-of-memory the
                    // raised figure stays unless the new measurement is larger.
                    entry.PeakBytes = entry.Reprofile && entry.PeakBytes is { } raised ? Math.Max(raised, report.PeakBytes) : report.PeakBytes;
                    entry.Reprofile = false;
                }
                else if (entry.PeakBytes is { } profile && report.PeakBytes > Reservation(profile))
                {
                    // It used more than packing reserved for it: measure it again before packing more.
                    entry.Outgrown++;
                    entry.PeakBytes = report.PeakBytes;
                    entry.Reprofile = true;
                }

                break;
            case GpuRunOutcome.OutOfMemory:
                entry.OutOfMemory++;
                entry.LastError = report.Error;
                if (!report.Profiling)
                {
                    // Out of memory beside others: the profile was too small. Raise it at least by half (the
                    // run's own figure, where known, may be larger), and measure it again alone.
                    var raised = Math.Max((long)((entry.PeakBytes ?? 0) * 1.5), report.PeakBytes);
                    entry.PeakBytes = Math.Max(raised, entry.PeakBytes ?? 0);
                    entry.Reprofile = true;
                }

                break;
            case GpuRunOutcome.Failed:
                if (report.Profiling)
                {
                    // GLB's rule: a profile comes only from a run that succeeded.
                    entry.Failures++;
                    entry.LastError = report.Error;
                }

                break;
            default:
                break;
        }

        return wasProfiling || entry.Reprofile;
    }

    /// <summary>A known profile's peak, for tests and status; null when the type has none yet.</summary>
    public long? PeakOf(string jobType) => _types.TryGetValue(jobType, out var entry) && !entry.Reprofile ? entry.PeakBytes : null;

    public IEnumerable<GpuProfileInfo> Snapshot() => _types.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new GpuProfileInfo
    {
        JobType = t.Key,
        State = t.Value.ProfilingLease is not null ? "profiling" : t.Value.PeakBytes is not null && !t.Value.Reprofile ? "known" : t.Value.Reprofile ? "reprofile" : "unknown",
        PeakBytes = t.Value.PeakBytes ?? 0,
        Runs = t.Value.Runs,
        Failures = t.Value.Failures,
        LastError = t.Value.LastError,
        OutOfMemory = t.Value.OutOfMemory,
        Outgrown = t.Value.Outgrown,
    });

    private Entry EntryOf(string jobType)
    {
        if (!_types.TryGetValue(jobType, out var entry))
        {
            _types[jobType] = entry = new Entry();
        }

        return entry;
    }

    private sealed class Entry
    {
        public long? PeakBytes { get; set; }

        public bool Reprofile { get; set; }

        public string? ProfilingLease { get; set; }

        public int Runs { get; set; }

        public int Failures { get; set; }

        public int OutOfMemory { get; set; }

        public int Outgrown { get; set; }

        public string LastError { get; set; } = string.Empty;
    }
}
