using Microsoft.Extensions.Hosting;

namespace Webhooks.PostgreSql.Schema;

/// <summary>Creates or migrates the schema when the host starts, so a bad connection string or missing rights stop the start with a clear error.</summary>
internal sealed class PostgreSqlSchemaInitializer(PostgreSqlWebhookDatabase db) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => db.EnsureSchemaAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
