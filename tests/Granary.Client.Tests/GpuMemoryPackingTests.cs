namespace Granary.Client.Tests;

/// <summary>
/// Packing GPUs by memory on an embedded cluster of two silos with two simulated 80 GB GPUs each: job types
/// profiled once alone, calls of a type waiting for its profile, packing by profile, profiles kept only from
/// successful runs, out-of-memory retries alone, declared bytes, stand-ins. Job names are unique per test,
/// since the runs' log is process-wide.
/// </summary>
public sealed class GpuMemoryPackingTests : IAsyncLifetime
{
    private const long GB = GpuMemory.GB;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private static readonly RemoteOptions Profiled = new() { GpuMemory = GpuMemory.Profiled };
    private GranaryClient _client = null!;

    public async Task InitializeAsync() =>
        _client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 2, CpusPerSilo = 16, GpusPerSilo = 2, GpuMemoryBytes = 80 * GB }).WithTimeout();

    public async Task DisposeAsync() => await _client.DisposeAsync().WithTimeout();

    [Fact]
    public async Task The_first_call_of_a_job_type_runs_alone_and_the_rest_wait_then_pack_by_its_profile()
    {
        var name = "pack-" + Guid.NewGuid().ToString("N")[..6];
        var refs = Enumerable.Range(0, 8).Select(_ => _client.Remote(() => GpuJobs.Use(name, 20 * GB, 1500), Profiled)).ToList();
        await Task.WhenAll(refs.Select(r => r.GetAsync().AsTask())).WithTimeout(Bound);

        var runs = GpuJobs.Log(name).OrderBy(r => r.Start).ToList();
        Assert.Equal(8, runs.Count);
        var first = runs[0];
        // Every other call waited for the profiling run to end.
        Assert.All(runs.Skip(1), r => Assert.True(r.Start >= first.End, $"a call started at {r.Start}, before the profiling run ended at {first.End}"));
        // Packed: 22 GB each (20 GB and the 10 % margin), so three share an 80 GB device at once.
        var shared = runs.Skip(1).GroupBy(r => r.Where).Any(device => device.Any(a => device.Any(b => a != b && a.Overlaps(b))));
        Assert.True(shared, "no two packed runs shared a device at the same time: " + string.Join(", ", runs.Select(r => $"{r.Where} {r.Start - first.Start}..{r.End - first.Start}")));
        Assert.All(runs.Skip(1).GroupBy(r => r.Where), device => Assert.True(MostAtOnce(device) <= 3, $"{MostAtOnce(device)} runs at once on {device.Key}, where three of 22 GB fit"));

        var profile = Assert.Single(await _client.GetGpuProfilesAsync(), p => p.JobType.Contains("GpuJobs.Use", StringComparison.Ordinal) && p.Runs >= 8 && p.PeakBytes == 20 * GB);
        Assert.Equal("known", profile.State);
    }

    [Fact]
    public async Task Unknown_job_types_profile_at_the_same_time_on_different_devices()
    {
        var a = "a-" + Guid.NewGuid().ToString("N")[..6];
        var b = "b-" + Guid.NewGuid().ToString("N")[..6];
        var first = _client.Remote(() => GpuJobs.Use(a, 5 * GB, 1500), new RemoteOptions { GpuMemory = GpuMemory.ProfiledAs(a) });
        var second = _client.Remote(() => GpuJobs.Use(b, 5 * GB, 1500), new RemoteOptions { GpuMemory = GpuMemory.ProfiledAs(b) });
        var places = await Task.WhenAll(first.GetAsync().AsTask(), second.GetAsync().AsTask()).WithTimeout(Bound);

        Assert.NotEqual(places[0], places[1]);
        Assert.True(GpuJobs.Log(a)[0].Overlaps(GpuJobs.Log(b)[0]), "the two job types were profiled one after the other");
        var profiles = await _client.GetGpuProfilesAsync();
        Assert.Contains(profiles, p => p.JobType.EndsWith("#" + a, StringComparison.Ordinal) && p.State == "known" && p.PeakBytes == 5 * GB);
        Assert.Contains(profiles, p => p.JobType.EndsWith("#" + b, StringComparison.Ordinal) && p.State == "known");
    }

    [Fact]
    public async Task A_profile_is_kept_only_from_a_successful_run_and_a_failing_type_runs_alone_each_time()
    {
        var name = "fails-" + Guid.NewGuid().ToString("N")[..6];
        var options = new RemoteOptions { GpuMemory = GpuMemory.ProfiledAs(name), MaxRetries = 0 };
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _client.Remote(() => GpuJobs.FailsFirst(name, 2, 10 * GB), options).GetAsync().WithTimeout(Bound));
        Assert.Contains("fails on purpose", error.Message);

        var afterFailure = Assert.Single(await _client.GetGpuProfilesAsync(), p => p.JobType.EndsWith("#" + name, StringComparison.Ordinal));
        Assert.Equal("unknown", afterFailure.State);
        Assert.Equal(1, afterFailure.Failures);
        Assert.Contains("fails on purpose", afterFailure.LastError);

        // The second call fails too and still gives no profile; each ran alone, one after the other.
        await Assert.ThrowsAsync<InvalidOperationException>(() => _client.Remote(() => GpuJobs.FailsFirst(name, 2, 10 * GB), options).GetAsync().WithTimeout(Bound));
        var three = Enumerable.Range(0, 3).Select(_ => _client.Remote(() => GpuJobs.FailsFirst(name, 2, 10 * GB), options)).ToList();
        await Task.WhenAll(three.Select(r => r.GetAsync().AsTask())).WithTimeout(Bound);

        var known = Assert.Single(await _client.GetGpuProfilesAsync(), p => p.JobType.EndsWith("#" + name, StringComparison.Ordinal));
        Assert.Equal("known", known.State);
        Assert.Equal(10 * GB, known.PeakBytes);
        Assert.Equal(2, known.Failures);
        var runs = GpuJobs.Log(name).OrderBy(r => r.Start).ToList();
        Assert.Equal(5, runs.Count);
        // The run that finally profiled it (the third) ran alone; the two after it waited for it.
        Assert.All(runs.Skip(3), r => Assert.True(r.Start >= runs[2].End));
    }

    [Fact]
    public async Task Running_out_of_memory_beside_others_retries_alone_and_raises_the_profile()
    {
        var name = "grows-" + Guid.NewGuid().ToString("N")[..6];
        var options = new RemoteOptions { GpuMemory = GpuMemory.ProfiledAs(name), MaxRetries = 0 };
        // Profiled at 10 GB, then each later run uses 50 GB: packed at 11 GB each, two of them cannot share
        // an 80 GB device.
        Assert.NotNull(await _client.Remote(() => GpuJobs.GrowsAfterFirst(name, 10 * GB, 50 * GB, 50), options).GetAsync().WithTimeout(Bound));
        var later = Enumerable.Range(0, 3).Select(_ => _client.Remote(() => GpuJobs.GrowsAfterFirst(name, 10 * GB, 50 * GB, 1500), options)).ToList();
        var places = await Task.WhenAll(later.Select(r => r.GetAsync().AsTask())).WithTimeout(Bound);

        Assert.Equal(3, places.Length);
        var profile = Assert.Single(await _client.GetGpuProfilesAsync(), p => p.JobType.EndsWith("#" + name, StringComparison.Ordinal));
        Assert.True(profile.OutOfMemory >= 1, $"no run ran out of memory: {profile}");
        Assert.True(profile.PeakBytes >= 50 * GB, $"the profile was not raised to what the runs use: {profile}");
        Assert.Contains("out of memory", profile.LastError, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_run_that_outgrows_its_profile_is_recorded_and_its_type_profiled_again()
    {
        var name = "outgrows-" + Guid.NewGuid().ToString("N")[..6];
        var options = new RemoteOptions { GpuMemory = GpuMemory.ProfiledAs(name), MaxRetries = 0 };
        await _client.Remote(() => GpuJobs.GrowsAfterFirst(name, 10 * GB, 15 * GB, 20), options).GetAsync().WithTimeout(Bound);
        Assert.Equal(10 * GB, Profile(await _client.GetGpuProfilesAsync(), name).PeakBytes);

        // Packed at 11 GB, it uses 15 GB (with room beside it, so it does not run out).
        await _client.Remote(() => GpuJobs.GrowsAfterFirst(name, 10 * GB, 15 * GB, 20), options).GetAsync().WithTimeout(Bound);
        var outgrown = Profile(await _client.GetGpuProfilesAsync(), name);
        Assert.Equal(1, outgrown.Outgrown);
        Assert.Equal("reprofile", outgrown.State);
        Assert.Equal(15 * GB, outgrown.PeakBytes);

        // The next run measures it again alone, and the type is known at its new size.
        await _client.Remote(() => GpuJobs.GrowsAfterFirst(name, 10 * GB, 15 * GB, 20), options).GetAsync().WithTimeout(Bound);
        var again = Profile(await _client.GetGpuProfilesAsync(), name);
        Assert.Equal("known", again.State);
        Assert.Equal(15 * GB, again.PeakBytes);
        Assert.Equal(0, again.OutOfMemory);
    }

    [Fact]
    public async Task Declared_bytes_pack_without_profiling()
    {
        var name = "declared-" + Guid.NewGuid().ToString("N")[..6];
        var options = new RemoteOptions { GpuMemoryBytes = 30 * GB };
        var refs = Enumerable.Range(0, 8).Select(_ => _client.Remote(() => GpuJobs.Use(name, 30 * GB, 1500), options)).ToList();
        await Task.WhenAll(refs.Select(r => r.GetAsync().AsTask())).WithTimeout(Bound);

        var runs = GpuJobs.Log(name);
        // Two 30 GB runs fit an 80 GB device, three do not; nothing ran alone first.
        Assert.Contains(runs.GroupBy(r => r.Where), device => MostAtOnce(device) == 2);
        Assert.All(runs.GroupBy(r => r.Where), device => Assert.True(MostAtOnce(device) <= 2));
        var first = runs.MinBy(r => r.Start)!;
        Assert.Contains(runs, r => r != first && r.Start < first.End);
    }

    [Fact]
    public async Task A_stand_in_profiles_a_long_job_in_its_place()
    {
        var name = "long-" + Guid.NewGuid().ToString("N")[..6];
        var refs = Enumerable.Range(0, 3).Select(_ => _client.Remote(() => GpuJobs.LongVersion(name, 12 * GB))).ToList();
        await Task.WhenAll(refs.Select(r => r.GetAsync().AsTask())).WithTimeout(Bound);

        Assert.Single(GpuJobs.Log(name + ".stand-in"));
        Assert.Equal(3, GpuJobs.Log(name).Count);
        var profile = Assert.Single(await _client.GetGpuProfilesAsync(), p => p.JobType.Contains("GpuJobs.LongVersion", StringComparison.Ordinal));
        Assert.Equal(12 * GB, profile.PeakBytes);
        Assert.Equal("known", profile.State);
    }

    [Fact]
    public async Task Logical_fractions_that_guess_too_little_run_out_of_memory()
    {
        var name = "fraction-" + Guid.NewGuid().ToString("N")[..6];
        var options = new RemoteOptions { Gpus = 0.25, MaxRetries = 0, Isolation = Isolation.InProcess, Placement = new NodeAffinityPlacement(await FirstWorkerAsync()) };
        // Four quarters share one device; each uses 45 GB, so any two that overlap run out. Each starts a
        // worker process of its own, so they hold long enough to overlap even when those start slowly.
        var refs = Enumerable.Range(0, 4).Select(_ => _client.Remote(() => GpuJobs.Use(name, 45 * GB, 4000), options)).ToList();
        var outcomes = await Task.WhenAll(refs.Select(async r =>
        {
            try
            {
                await r.GetAsync();
                return null;
            }
            catch (GpuOutOfMemoryException ex)
            {
                return ex;
            }
        })).WithTimeout(Bound);

        Assert.Contains(outcomes, e => e is not null && e.Message.Contains("out of memory", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bad_requests_fail_at_submission_or_as_infeasible_naming_the_fix()
    {
        var both = Assert.Throws<ArgumentException>(() => _client.Remote(() => GpuJobs.Use("x", GB, 1), new RemoteOptions { GpuMemory = GpuMemory.Profiled, Gpus = 1 }));
        Assert.Contains("Leave Gpus at 0", both.Message);
        var twice = Assert.Throws<ArgumentException>(() => _client.Remote(() => GpuJobs.Use("x", GB, 1), new RemoteOptions { GpuMemory = GpuMemory.Profiled, GpuMemoryBytes = GB }));
        Assert.Contains("not both", twice.Message);
        var tooLarge = await Assert.ThrowsAsync<InfeasibleResourcesException>(() => _client.Remote(() => GpuJobs.Use("x", GB, 1), new RemoteOptions { GpuMemoryBytes = 100 * GB }).GetAsync().WithTimeout(Bound));
        Assert.Contains("largest GPU", tooLarge.Message);
    }

    [Fact]
    public async Task The_attribute_profiles_without_options()
    {
        var name = "attributed-" + Guid.NewGuid().ToString("N")[..6];
        await _client.Remote(() => GpuJobs.Attributed(name, 7 * GB)).GetAsync().WithTimeout(Bound);
        Assert.Contains(await _client.GetGpuProfilesAsync(), p => p.JobType.Contains("GpuJobs.Attributed", StringComparison.Ordinal) && p.PeakBytes == 7 * GB);
    }

    private static GpuProfile Profile(IEnumerable<GpuProfile> profiles, string key) =>
        Assert.Single(profiles, p => p.JobType.EndsWith("#" + key, StringComparison.Ordinal));

    private async Task<string> FirstWorkerAsync() => (await _client.GetNodesAsync()).First(n => !n.IsHead).NodeId;

    private static int MostAtOnce(IEnumerable<GpuRun> runs)
    {
        var list = runs.ToList();
        return list.Count == 0 ? 0 : list.Max(r => list.Count(o => o.Start <= r.Start && r.Start < o.End));
    }
}
