using Google.Protobuf.Collections;
using Granary.Runtime.Code;
using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;

namespace Granary.Grains;

/// <summary>
/// Runs one task or actor call on this silo: loads the job's code, resolves arguments (pulling large ones
/// from the node that holds them), invokes the method in the job's load context, and turns the result or
/// the failure into a reply. Large results stay in this silo's store. ObjectRefs inside arguments become
/// borrowed refs of the job (<see cref="JobObjects"/>); ObjectRefs inside the result are listed in the reply.
/// Thread-safe.
/// </summary>
internal sealed class TaskExecutor(IExecutionHost silo)
{
    public async Task<TaskReply> RunTaskAsync(TaskSpec spec, IReadOnlyList<int> gpuIds, CancellationToken cancellationToken)
    {
        try
        {
            var code = await silo.Jobs.GetAsync(spec.JobId, spec.ManifestVersion, cancellationToken).ConfigureAwait(false);
            var method = code.Resolve(spec.Method);
            return await InvokeAsync(spec, code, method, target: null, actorId: null, gpuIds, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            return Failed(ex, spec);
        }
    }

    public async Task<TaskReply> InvokeAsync(TaskSpec spec, JobCode code, InvokableMethod method, object? target, string? actorId, IReadOnlyList<int> gpuIds, CancellationToken cancellationToken)
    {
        try
        {
            var rank = spec.Launch is null ? null : await LaunchJoin.JoinAsync(silo.Clients.Orleans, silo.NodeId, spec, gpuIds, code.Serializer, cancellationToken).ConfigureAwait(false);
            var arguments = await ResolveArgumentsAsync(spec.Args, method, code.Serializer, cancellationToken, rank).ConfigureAwait(false);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var context = NewContext(spec, code, actorId, gpuIds);
            TaskContext.Current = context;
            object? result;
            var declared = method.Result.ValueType == typeof(void) ? typeof(object) : method.Result.ValueType;
            try
            {
                using (code.Context.EnterContextualReflection())
                {
                    if (rank is { IsWaitingWorker: true })
                    {
                        // Ray-launch: this rank lends its node to rank 0's driver and ends with the driver's marker.
                        await rank.AwaitCompletionAsync(cancellationToken).ConfigureAwait(false);
                        result = null;
                        declared = typeof(object);
                    }
                    else if (rank is { IsDriver: true })
                    {
                        result = await RunDriverAsync(rank, method, target, arguments, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        result = await method.InvokeAsync(target, arguments).ConfigureAwait(false);
                    }

                    if (spec.Streaming)
                    {
                        // An iterator runs its body as it is read, so it reads here, in the task's context.
                        result = await StreamAsync(spec, code, result, declared, cancellationToken).ConfigureAwait(false);
                        declared = typeof(int);
                    }
                }
            }
            finally
            {
                context.EndOutput();
                rank?.Link?.Dispose();
            }

            TaskContext.Current = null;
            TaskReply reply;
            if (spec.NumReturns > 0)
            {
                var (values, types) = ReturnParts.Split(result, declared, spec.NumReturns, TaskName(spec));
                reply = new TaskReply { NodeId = silo.NodeId };
                for (var i = 0; i < values.Length; i++)
                {
                    reply.Returns.Add(await CompletedAsync(ReturnParts.ReturnId(spec.TaskId, i), spec.JobId, code, values[i], types[i]).ConfigureAwait(false));
                }
            }
            else
            {
                reply = await CompletedAsync(spec.TaskId, spec.JobId, code, result, declared).ConfigureAwait(false);
            }

            reply.RunMicros = (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            return reply;
        }
        catch (Exception ex)
        {
            return Failed(ex, spec);
        }
    }

    /// <summary>Ray-launch's rank 0: its function, then the completion marker that lets the other ranks go, also when it failed.</summary>
    private static async Task<object?> RunDriverAsync(RankContext rank, InvokableMethod method, object? target, object?[] arguments, CancellationToken cancellationToken)
    {
        object? result;
        try
        {
            result = await method.InvokeAsync(target, arguments).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await rank.CompleteAsync(succeeded: false, $"{ex.GetType().Name}: {ex.Message}", CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        await rank.CompleteAsync(succeeded: true, string.Empty, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// The context of one task, actor call or actor construction. Its lines go to the job that owns the code
    /// (an actor call's to the actor's creator, as in Ray), and only when that job ships them.
    /// </summary>
    private TaskContext NewContext(TaskSpec spec, JobCode code, string? actorId, IReadOnlyList<int> gpuIds) =>
        new(silo.NodeId, spec.JobId, spec.TaskId, actorId, spec.Attempt, gpuIds, code.Objects, silo.Clients, code.Environment, code.Settings.LogToDriver ? silo.Logs : null, code.JobId, TaskName(spec)) { GpuMemoryReporter = silo.GpuMemory };

    /// <summary>
    /// Ray's streaming generator: reads what the method returned item by item, handing each to the node as an
    /// object of its own as soon as it is produced. The task's result is the number of items.
    /// </summary>
    private async Task<int> StreamAsync(TaskSpec spec, JobCode code, object? result, Type declared, CancellationToken cancellationToken)
    {
        var items = StreamedResult.Of(result, declared)
            ?? throw new InvalidOperationException(
                $"{TaskName(spec)} was submitted as a stream but returns {declared.Name}: return IAsyncEnumerable<T> or IEnumerable<T>, or submit it with Remote.");
        var index = 0;
        await foreach (var item in items.Read(cancellationToken).ConfigureAwait(false))
        {
            var reply = await CompletedAsync(ReturnParts.StreamItemId(spec.TaskId, index), spec.JobId, code, item, items.ItemType).ConfigureAwait(false);
            await silo.StreamItemAsync(spec, index, reply, cancellationToken).ConfigureAwait(false);
            index++;
        }

        return index;
    }

    /// <summary>One result (a task's, one of its returns, or a stream item) as a reply: inline or stored, with the refs it holds.</summary>
    private async ValueTask<TaskReply> CompletedAsync(string objectId, string jobId, JobCode code, object? result, Type declared)
    {
        ContainedRefs? contained = null;
        TaskReply reply;
        if (result is not null && RawArrayCodec.IsRaw(result.GetType()) && RawArrayCodec.ByteLength(result, result.GetType()) > silo.InlineThresholdBytes)
        {
            // A large raw array is stored as segments, which are not bound to one byte array or one
            // message, so a result over 2 GiB works as a Put of one does. It holds no refs.
            reply = silo.Completed(objectId, jobId, code.Serializer.SerializeBytes(result, declared));
        }
        else
        {
            var value = code.Serializer.Serialize(result, declared, out contained);
            if (contained?.Pending is { } pending)
            {
                // The result holds refs to work this task submitted and did not await: the caller gets them
                // finished (a ref never leaves its owner unfinished), as a client's Put of such a value does.
                foreach (var inner in pending)
                {
                    await inner.Completion.ConfigureAwait(false);
                }

                value = ContainedRefs.FillPending(value, pending);
            }

            reply = silo.Completed(objectId, jobId, value);
        }

        if (contained is not null && code.Objects is { } objects)
        {
            // The caller keeps these alive with the result, and takes over the ones this task put.
            reply.NestedRefs.AddRange(objects.HandOver(contained.All));
        }

        return reply;
    }

    public TaskReply Failed(Exception exception, TaskSpec spec) =>
        new() { Error = ErrorConverter.FromException(exception, silo.NodeId, TaskName(spec)), NodeId = silo.NodeId };

    public static string TaskName(TaskSpec spec) => string.IsNullOrEmpty(spec.Name) ? spec.Method.DisplayName : spec.Name;

    public async ValueTask<object?[]> ResolveArgumentsAsync(RepeatedField<Argument> arguments, InvokableMethod method, ValueSerializer serializer, CancellationToken cancellationToken, RankContext? rank = null)
    {
        var types = method.ParameterTypes;
        if (arguments.Count != types.Length)
        {
            throw new CodeLoadException($"{method.DisplayName} takes {types.Length} argument(s) but {arguments.Count} were sent: the node's copy of the code differs from the client's.");
        }

        var values = new object?[types.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var argument = arguments[i];
            if (types[i] == typeof(CancellationToken))
            {
                // Whatever token the caller wrote (CancellationToken.None, a captured one) is a placeholder:
                // the method gets its task's token, cancelled when the owner cancels the task.
                values[i] = cancellationToken;
                continue;
            }

            if (types[i] == typeof(RankContext))
            {
                // Filled here like the token: the rank's place in its launch is only known once it met the others.
                values[i] = rank ?? throw new InvalidOperationException($"{method.DisplayName} takes a RankContext, which only the ranks of client.Distributed(...).RunAsync get; submit it that way.");
                continue;
            }

            values[i] = argument.KindCase == Argument.KindOneofCase.Location
                ? await silo.FetchArgumentAsync(argument.Location, types[i], serializer, cancellationToken).ConfigureAwait(false)
                : serializer.Deserialize(argument.Value, types[i]);
        }

        return values;
    }
}
