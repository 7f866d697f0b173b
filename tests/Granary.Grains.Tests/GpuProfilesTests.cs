using Granary.Grains.Head;
using Granary.Runtime.Wire;

namespace Granary.Grains.Tests;

/// <summary>The head's book of GPU memory profiles, without a cluster: GLB's rules one by one.</summary>
public sealed class GpuProfilesTests
{
    private const long GB = 1_000_000_000;
    private const string Type = "Jobs::Jobs.Train(Int32)";

    [Fact]
    public void An_unknown_type_profiles_once_and_calls_wait_meanwhile()
    {
        var book = new GpuProfiles(margin: 0.1);
        Assert.Equal(GpuProfileMode.Profile, book.Decide(Type).Mode);
        book.StartProfiling(Type, "lease-1");
        Assert.Equal(GpuProfileMode.Wait, book.Decide(Type).Mode);
        Assert.Equal(GpuProfileMode.Profile, book.Decide("Jobs::Jobs.Other()").Mode);

        book.Record(Report("lease-1", 20 * GB, GpuRunOutcome.Succeeded, profiling: true));
        var packed = book.Decide(Type);
        Assert.Equal(GpuProfileMode.Packed, packed.Mode);
        Assert.Equal(22 * GB, packed.ReserveBytes);
    }

    [Fact]
    public void A_failed_profiling_run_keeps_no_profile_and_a_lost_lease_frees_the_type()
    {
        var book = new GpuProfiles(margin: 0.1);
        book.StartProfiling(Type, "lease-1");
        book.Record(Report("lease-1", 20 * GB, GpuRunOutcome.Failed, profiling: true));
        Assert.Equal(GpuProfileMode.Profile, book.Decide(Type).Mode);
        Assert.Null(book.PeakOf(Type));

        book.StartProfiling(Type, "lease-2");
        Assert.True(book.LeaseEnded(Type, "lease-2"));
        Assert.Equal(GpuProfileMode.Profile, book.Decide(Type).Mode);
        var info = Assert.Single(book.Snapshot());
        Assert.Equal(1, info.Failures);
        Assert.Equal("unknown", info.State);
    }

    [Fact]
    public void Out_of_memory_beside_others_raises_the_profile_and_profiles_again()
    {
        var book = new GpuProfiles(margin: 0.1);
        book.StartProfiling(Type, "lease-1");
        book.Record(Report("lease-1", 10 * GB, GpuRunOutcome.Succeeded, profiling: true));
        book.Record(Report("lease-2", 12 * GB, GpuRunOutcome.OutOfMemory, profiling: false));
        Assert.Equal(GpuProfileMode.Profile, book.Decide(Type).Mode);

        // Measured again alone at less than the raised figure: the raised one stays.
        book.StartProfiling(Type, "lease-3");
        book.Record(Report("lease-3", 11 * GB, GpuRunOutcome.Succeeded, profiling: true));
        Assert.Equal(15 * GB, book.PeakOf(Type));
        Assert.Equal(1, Assert.Single(book.Snapshot()).OutOfMemory);
    }

    private static GpuUseReport Report(string lease, long peak, GpuRunOutcome outcome, bool profiling) =>
        new() { LeaseId = lease, JobType = Type, PeakBytes = peak, Outcome = outcome, Profiling = profiling, Error = outcome == GpuRunOutcome.Succeeded ? string.Empty : "Boom: failed" };
}
