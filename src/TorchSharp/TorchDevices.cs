using TorchSharp;
using static TorchSharp.torch;

namespace Granary.TorchSharp;

/// <summary>Which torch device a task, an actor call or a rank should compute on.</summary>
public static class TorchDevices
{
    /// <summary>
    /// The task's first assigned GPU as a CUDA device, numbered as the process sees it (a worker process runs
    /// with CUDA_VISIBLE_DEVICES set to its GPUs, so that is <c>cuda:0</c>); the CPU when the task has no GPU,
    /// or when libtorch has no CUDA (TorchSharp-cpu, or simulated GPUs).
    /// </summary>
    public static Device TorchDevice(this TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return For(context.GpuIds);
    }

    /// <summary>The rank's GPU as a CUDA device (<c>cuda:0</c> inside its CUDA_VISIBLE_DEVICES), else the CPU; as <see cref="TorchDevice(TaskContext)"/>.</summary>
    public static Device TorchDevice(this RankContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return For(context.GpuIds);
    }

    /// <summary>The device for a task holding <paramref name="gpuIds"/> (physical ids), in this process's numbering.</summary>
    public static Device For(IReadOnlyList<int> gpuIds)
    {
        ArgumentNullException.ThrowIfNull(gpuIds);
        if (gpuIds.Count == 0 || !torch.cuda.is_available())
        {
            return torch.CPU;
        }

        return torch.device(DeviceType.CUDA, VisibleIndex(gpuIds[0], Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES")));
    }

    /// <summary>
    /// Where physical GPU <paramref name="gpuId"/> sits among the devices CUDA shows this process: its position
    /// in CUDA_VISIBLE_DEVICES when that lists it, else its own number (nothing hides devices). A worker
    /// process's variable holds its GPUs' indexes, so its first GPU is 0; the silo's process (actors) has the
    /// silo's own variable, so on a silo started with CUDA_VISIBLE_DEVICES=2,3 device 3 is 1. A variable that
    /// names GPUs by UUID cannot be matched to an index without NVML, so that throws rather than guess.
    /// </summary>
    internal static int VisibleIndex(int gpuId, string? visibleDevices)
    {
        if (string.IsNullOrWhiteSpace(visibleDevices))
        {
            return gpuId;
        }

        var visible = visibleDevices.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var at = Array.IndexOf(visible, gpuId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (at >= 0)
        {
            return at;
        }

        if (visible.Any(entry => !entry.All(char.IsAsciiDigit)))
        {
            throw new InvalidOperationException(
                $"GPU {gpuId} cannot be placed among this process's CUDA_VISIBLE_DEVICES='{visibleDevices}': it names GPUs by UUID, " +
                "and Granary numbers them by device index. Start the silo with device indexes in CUDA_VISIBLE_DEVICES, " +
                "or run the work as a task, whose worker process lists its GPUs by index.");
        }

        return gpuId;
    }
}
