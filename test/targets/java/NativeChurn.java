// JVM target for the report: THREADS threads each open PER_THREAD
// java.util.zip.Deflater objects (zlib's deflateInit mallocs about 260 KiB of
// native memory per stream, from the calling thread's glibc arena, and NMT does
// not track it), deflate some data through each, and end() every other one so
// freed native memory stays behind in the arenas. The rest stay open (held in
// a static list, so no Cleaner frees them). Prints "READY" and waits for stdin
// to close.
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.zip.Deflater;

public class NativeChurn {
    static final List<Deflater> open = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(args[0]);
        int perThread = Integer.parseInt(args[1]);
        CountDownLatch done = new CountDownLatch(threads);
        CountDownLatch exit = new CountDownLatch(1);
        byte[] input = new byte[256 * 1024];
        for (int i = 0; i < input.length; i++) input[i] = (byte) (i * 31 + (i >> 7));
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                List<Deflater> mine = new ArrayList<>();
                byte[] out = new byte[64 * 1024];
                for (int i = 0; i < perThread; i++) {
                    Deflater d = new Deflater(Deflater.BEST_COMPRESSION);
                    d.setInput(input);
                    d.finish();
                    while (!d.finished()) d.deflate(out);
                    mine.add(d);
                }
                for (int i = 0; i < mine.size(); i += 2) mine.get(i).end();
                synchronized (open) {
                    for (int i = 1; i < mine.size(); i += 2) open.add(mine.get(i));
                }
                done.countDown();
                try {
                    exit.await(); // keep the thread (and its arena attachment) alive
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            th.setDaemon(true);
            th.start();
        }
        done.await();
        System.out.println("READY");
        System.out.flush();
        while (System.in.read() >= 0) {
        }
        exit.countDown();
    }
}
