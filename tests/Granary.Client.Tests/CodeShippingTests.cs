using System.Linq.Expressions;
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace Granary.Client.Tests;

/// <summary>Each test starts a cluster of its own so upload counts and loaded contexts are its alone.</summary>
public sealed class CodeShippingTests
{
    [Fact]
    public async Task Work_runs_in_a_collectible_context_per_job()
    {
        var client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 1 }).WithTimeout();
        await using var stopClient = client.DisposeWithin();
        var info = await client.Remote(() => TestJobs.Describe()).WithTimeout();
        Assert.True(info.Collectible);
        Assert.Equal("granary-job-" + client.JobId, info.ContextName);
        Assert.Equal(client.JobId, info.JobId);
        Assert.True(client.UploadedAssemblies > 0);
    }

    [Fact]
    public async Task A_second_client_with_identical_assemblies_uploads_nothing()
    {
        var first = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 1 }).WithTimeout();
        await using var stopFirst = first.DisposeWithin();
        Assert.Equal(9, await first.Remote(() => TestJobs.Square(3)).WithTimeout());
        Assert.True(first.UploadedAssemblies > 0);

        var second = await GranaryClient.ConnectAsync(first.HeadAddress).WithTimeout();
        await using var stopSecond = second.DisposeWithin();
        Assert.Equal(16, await second.Remote(() => TestJobs.Square(4)).WithTimeout());
        Assert.Equal(0, second.UploadedAssemblies);
    }

    [Fact]
    public async Task A_jobs_context_unloads_when_the_job_ends()
    {
        var host = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 1 }).WithTimeout();
        await using var stopHost = host.DisposeWithin();
        var client = await GranaryClient.ConnectAsync(host.HeadAddress).WithTimeout();
        var contextName = (await client.Remote(() => TestJobs.Describe()).WithTimeout()).ContextName;
        Assert.Contains(AssemblyLoadContext.All, c => c.Name == contextName);

        await client.DisposeAsync().WithTimeout();

        var worker = host.Cluster!.Silos[1];
        await Collector.CollectUntilAsync(() => !worker.Runtime.Jobs.LoadedJobs.Contains(client.JobId) && !ContextAlive(contextName));

        Assert.DoesNotContain(client.JobId, worker.Runtime.Jobs.LoadedJobs);
        Assert.False(ContextAlive(contextName), "the job's load context was not collected after the job ended");
    }

    [Fact]
    public async Task A_missing_assembly_fails_with_an_error_naming_it()
    {
        var client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 1 }).WithTimeout();
        await using var stopClient = client.DisposeWithin();
        var call = Expression.Lambda<Func<int>>(Expression.Call(DynamicMethodHost()));
        var missing = client.Remote(call);
        var error = await Assert.ThrowsAsync<CodeLoadException>(async () => await missing.WithTimeout());
        Assert.Contains("GranaryDynamicJobs", error.Message);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool ContextAlive(string name) => AssemblyLoadContext.All.Any(c => c.Name == name);

    /// <summary>A method in an assembly that exists only in this process's memory, so it can never be shipped.</summary>
    private static MethodInfo DynamicMethodHost()
    {
        var assembly = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("GranaryDynamicJobs"), AssemblyBuilderAccess.Run);
        var module = assembly.DefineDynamicModule("GranaryDynamicJobs");
        var type = module.DefineType("DynamicJobs", TypeAttributes.Public | TypeAttributes.Abstract | TypeAttributes.Sealed);
        var method = type.DefineMethod("Seven", MethodAttributes.Public | MethodAttributes.Static, typeof(int), Type.EmptyTypes);
        var il = method.GetILGenerator();
        il.Emit(OpCodes.Ldc_I4_7);
        il.Emit(OpCodes.Ret);
        return type.CreateType().GetMethod("Seven")!;
    }
}
