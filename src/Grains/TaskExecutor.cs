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
            var arguments = await ResolveArgumentsAsync(spec.Args, method, code.Serializer, cancellationToken).ConfigureAwait(false);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            TaskContext.Current = new TaskContext(silo.NodeId, spec.JobId, spec.TaskId, actorId, spec.Attempt, gpuIds, code.Objects);
            object? result;
            using (code.Context.EnterContextualReflection())
            {
                result = await method.InvokeAsync(target, arguments).ConfigureAwait(false);
            }

            TaskContext.Current = null;
            var declared = method.Result.ValueType == typeof(void) ? typeof(object) : method.Result.ValueType;
            ContainedRefs? contained = null;
            TaskReply reply;
            if (result is not null && RawArrayCodec.IsRaw(result.GetType()) && RawArrayCodec.ByteLength(result, result.GetType()) > silo.InlineThresholdBytes)
            {
                // A large raw array is stored as segments, which are not bound to one byte array or one
                // message, so a result over 2 GiB works as a Put of one does. It holds no refs.
                reply = silo.Completed(spec, code.Serializer.SerializeBytes(result, declared));
            }
            else
            {
                reply = silo.Completed(spec, code.Serializer.Serialize(result, declared, out contained));
            }

            if (contained is not null && code.Objects is { } objects)
            {
                // The caller keeps these alive with the result, and takes over the ones this task put.
                reply.NestedRefs.AddRange(objects.HandOver(contained.All));
            }

            reply.RunMicros = (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            return reply;
        }
        catch (Exception ex)
        {
            return Failed(ex, spec);
        }
    }

    public TaskReply Failed(Exception exception, TaskSpec spec) =>
        new() { Error = ErrorConverter.FromException(exception, silo.NodeId, TaskName(spec)), NodeId = silo.NodeId };

    public static string TaskName(TaskSpec spec) => string.IsNullOrEmpty(spec.Name) ? spec.Method.DisplayName : spec.Name;

    public async ValueTask<object?[]> ResolveArgumentsAsync(RepeatedField<Argument> arguments, InvokableMethod method, ValueSerializer serializer, CancellationToken cancellationToken)
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

            values[i] = argument.KindCase == Argument.KindOneofCase.Location
                ? await silo.FetchArgumentAsync(argument.Location, types[i], serializer, cancellationToken).ConfigureAwait(false)
                : serializer.Deserialize(argument.Value, types[i]);
        }

        return values;
    }
}
