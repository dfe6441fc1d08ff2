using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Webhooks.Core;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.PostgreSql.Tests.Infrastructure;

internal static class PgHosts
{
    /// <summary>A real host on PostgreSQL (dispatcher, listener, the engine's retention) with two event types registered.</summary>
    public static Task<WebhookHost> StartAsync(
        string connectionString,
        string schema,
        Action<WebhookOptions>? options = null,
        Action<PostgreSqlWebhookOptions>? postgres = null,
        LogCapture? logs = null,
        bool start = true,
        Action<IServiceCollection>? configure = null) =>
        WebhookHost.StartAsync(
            b => b.AddEventType("order.created").AddEventType("order.shipped").UsePostgreSql(connectionString, o =>
            {
                o.Schema = schema;
                postgres?.Invoke(o);
            }),
            options,
            services =>
            {
                if (logs is not null)
                {
                    services.AddLogging(l => l.AddProvider(logs));
                }

                configure?.Invoke(services);
            },
            start);

    public static async Task<WebhookSubscriptionWithSecret> SubscribeAsync(WebhookHost host, string url, string name, string? owner = null, IReadOnlyList<string>? events = null) =>
        await host.Subscriptions.CreateAsync(owner, new WebhookSubscriptionDefinition
        {
            Name = name,
            Url = url,
            Events = events ?? ["order.created"],
        });

    /// <summary>Counts a schema's deliveries in one status.</summary>
    public static Task<long> CountAsync(string connectionString, string schema, WebhookDeliveryStatus status) =>
        Pg.ScalarAsync<long>(connectionString, $"SELECT count(*) FROM \"{schema}\".deliveries WHERE status = {(int)status}");

    /// <summary>The (path, webhook-id) of a request: one delivery of one message to one subscription.</summary>
    public static (string Path, string MessageId) Key(ReceivedRequest request) => (request.Path, request.Header("webhook-id")!);
}
