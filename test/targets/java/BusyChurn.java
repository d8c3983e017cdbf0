// A busy JVM for the moving-heap test: THREADS threads forever open a
// java.util.zip.Deflater (zlib mallocs ~260 KiB of native memory from the
// thread's glibc arena), deflate a little through it and end() it, while
// also allocating Java objects (so the GC and JIT threads malloc too).
// Prints "READY" once every thread runs; stdin EOF ends it.
import java.util.concurrent.CountDownLatch;
import java.util.zip.Deflater;

public class BusyChurn {
    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(args[0]);
        CountDownLatch started = new CountDownLatch(threads);
        byte[] input = new byte[16 * 1024];
        for (int i = 0; i < input.length; i++) input[i] = (byte) (i * 31 + (i >> 7));
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                byte[] out = new byte[16 * 1024];
                started.countDown();
                long n = 0;
                while (true) {
                    Deflater d = new Deflater((int) (n++ % 9) + 1);
                    d.setInput(input);
                    d.finish();
                    while (!d.finished()) d.deflate(out);
                    d.end();
                    StringBuilder sb = new StringBuilder();
                    for (int i = 0; i < 100; i++) sb.append(n).append(',');
                    if (sb.length() == 0) System.out.print("");
                }
            });
            th.setDaemon(true);
            th.start();
        }
        started.await();
        System.out.println("READY");
        System.out.flush();
        while (System.in.read() >= 0) {
        }
    }
}
