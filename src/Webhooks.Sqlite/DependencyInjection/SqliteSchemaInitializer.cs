using Microsoft.Extensions.Hosting;
using Webhooks.Sqlite.Schema;

namespace Webhooks.Sqlite.DependencyInjection;

/// <summary>Creates or migrates the file when the host starts, so a bad path or a newer schema fails the start, not the first publish.</summary>
internal sealed class SqliteSchemaInitializer(SqliteWebhookDatabase database) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => database.EnsureSchemaAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
