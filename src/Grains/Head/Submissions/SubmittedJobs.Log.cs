using Microsoft.Extensions.Logging;

namespace Granary.Grains.Head.Submissions;

internal sealed partial class SubmittedJobs
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Job {SubmissionId} submitted: {Entrypoint} ({Bytes} bytes of files)")]
    private partial void LogSubmitted(string submissionId, string entrypoint, int bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {SubmissionId} runs on node {NodeId}")]
    private partial void LogStarted(string submissionId, string nodeId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {SubmissionId} is stopping")]
    private partial void LogStopping(string submissionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {SubmissionId} ended {State}: {Message}")]
    private partial void LogEnded(string submissionId, string state, string message);
}
