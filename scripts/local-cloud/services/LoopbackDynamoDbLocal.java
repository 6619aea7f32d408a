import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * DynamoDB Local as its own launcher (ServerRunner) starts it, with the same command-line arguments, but
 * listening on the loopback interface only: DynamoDB Local has no option for it, and binds every interface.
 * Its Jetty server is reached by reflection and given 127.0.0.1 before it starts. No telemetry is set up.
 * Compiled once per machine by dynamodb-local.ts, with the JDK compiler module the Java runtime carries.
 * It exits when its standard input ends: the parent holds the other end, so a parent killed outright
 * (SIGKILL, no chance to stop it) takes it along, rather than leaving it holding its port.
 */
public final class LoopbackDynamoDbLocal {
  public static void main(String[] args) throws Exception {
    Thread parentWatch = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {}
      } catch (java.io.IOException ignored) {
        // A broken pipe is a parent gone, too.
      }
      System.exit(0);
    }, "parent-watch");
    parentWatch.setDaemon(true);
    parentWatch.start();
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) ((ServerConnector) connector).setHost("127.0.0.1");
    proxy.start();
  }
}
