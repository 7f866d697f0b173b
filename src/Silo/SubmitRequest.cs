namespace Granary.Silo;

/// <summary>What `granary submit` was asked to do, from its flags (<see cref="SubmitCommand.Parse"/>). Not thread-safe; filled once.</summary>
internal sealed class SubmitRequest
{
    /// <summary>The head's host:port or a saved cluster's name; null to find it as `granary run` does.</summary>
    public string? Address { get; set; }

    /// <summary>Print the job's id and return at once instead of following its output.</summary>
    public bool NoWait { get; set; }

    /// <summary>Variables the driver gets, beside Granary's own.</summary>
    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>CPUs the driver reserves on its node; 0 as Ray's entrypoint_num_cpus, since a driver mostly waits on its tasks.</summary>
    public double Cpus { get; set; }

    public double Gpus { get; set; }

    /// <summary>The command after `--`: `dotnet PATH.dll ARGS` or `PROJECT ARGS`.</summary>
    public List<string> Command { get; } = [];
}
