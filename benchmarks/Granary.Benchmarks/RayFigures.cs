namespace Granary.Benchmarks;

/// <summary>Ray 2.37's published `ray microbenchmark` figures (64-vCPU m5.16xlarge), row by row.</summary>
internal static class RayFigures
{
    public static readonly IReadOnlyDictionary<string, double> Published = new Dictionary<string, double>
    {
        ["single_client_tasks_sync"] = 952,
        ["single_client_tasks_async"] = 7_691,
        ["multi_client_tasks_async"] = 22_009,
        ["1_1_actor_calls_sync"] = 1_950,
        ["1_1_actor_calls_async"] = 7_956,
        ["1_1_actor_calls_concurrent"] = 5_303,
        ["1_n_actor_calls_async"] = 8_575,
        ["n_n_actor_calls_async"] = 27_276,
        ["single_client_put_calls"] = 5_238,
        ["single_client_get_calls"] = 10_394,
        ["single_client_put_gigabytes"] = 20.9,
        ["single_client_get_object_containing_10k_refs"] = 13.16,
        ["single_client_wait_1k_refs"] = 5.18,
        ["placement_group_create_removal"] = 791,
        ["scale_1m_tasks_seconds"] = 184,
    };
}
