using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Webhooks.Core.Delivery;

/// <summary>
/// One retention schedule for every store that can remove old history (<see cref="IWebhookDeliveryRetention"/>):
/// every <see cref="WebhookOptions.RetentionInterval"/> it removes what finished before
/// <see cref="WebhookOptions.RetentionPeriod"/>, in batches of <see cref="WebhookOptions.RetentionBatchSize"/>
/// until a batch comes back short. A failed run is logged and tried again at the next interval.
/// </summary>
internal sealed partial class WebhookRetentionService(
    IWebhookDeliveryStore store,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    ILogger<WebhookRetentionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store is not IWebhookDeliveryRetention retention || options.Value.RetentionPeriod is null)
        {
            return;
        }

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await RunOnceAsync(retention, stoppingToken).ConfigureAwait(false);
                await Task.Delay(options.Value.RetentionInterval, time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Removes everything older than the retention period, batch by batch.</summary>
    internal async Task<int> RunOnceAsync(IWebhookDeliveryRetention retention, CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (o.RetentionPeriod is not { } period)
        {
            return 0;
        }

        int total = 0;
        try
        {
            var cutoff = time.GetUtcNow() - period;
            int removed;
            do
            {
                removed = await retention.PurgeAsync(cutoff, o.RetentionBatchSize, cancellationToken).ConfigureAwait(false);
                total += removed;
            }
            while (removed >= o.RetentionBatchSize && !cancellationToken.IsCancellationRequested);

            if (total > 0)
            {
                LogPurged(logger, total, period);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogPurgeFailed(logger, ex);
        }

        return total;
    }

    [LoggerMessage(1, LogLevel.Information, "Webhook retention removed {Deliveries} finished deliveries older than {Period}.")]
    private static partial void LogPurged(ILogger logger, int deliveries, TimeSpan period);

    [LoggerMessage(2, LogLevel.Warning, "Webhook retention failed; it runs again at the next interval.")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
