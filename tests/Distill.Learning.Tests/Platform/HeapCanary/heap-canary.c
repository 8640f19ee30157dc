// A heap canary for LibTorch's allocations, loaded with LD_PRELOAD by HeapCanaryTests.
// LibTorch takes every tensor and every oneDNN scratchpad from posix_memalign. Each such block gets a mapping of its
// own with CANARY bytes of a known pattern after its end; at free, a block whose pattern changed was written past its
// end, and one line saying so is appended to the file named by HEAP_CANARY_LOG. The damage lands in the canary, not in
// glibc's heap, so the process goes on and every overrun of a run is reported. Other allocations are glibc's as usual.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define BUCKETS 65536
#define CANARY 4096
#define PATTERN 0xa5

struct block { char *data; size_t size, mapped; struct block *next; };
static struct block *buckets[BUCKETS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int (*real_posix_memalign)(void **, size_t, size_t);
static void (*real_free)(void *);

static void report(const char *line) {
  const char *path = getenv("HEAP_CANARY_LOG");
  if (!path) return;
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd < 0) return;
  if (write(fd, line, strlen(line)) < 0) { /* nothing more to do */ }
  close(fd);
}

__attribute__((constructor)) static void start(void) {
  real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
  real_free = dlsym(RTLD_NEXT, "free");
  char line[64];
  snprintf(line, sizeof line, "watching %d\n", (int)getpid());
  report(line);
}

static size_t bucket(const void *p) { return ((size_t)p >> 12) % BUCKETS; }

int posix_memalign(void **out, size_t alignment, size_t size) {
  if (!real_posix_memalign) start();
  if (alignment > 4096) return real_posix_memalign(out, alignment, size);
  size_t mapped = (size + CANARY + 4095) / 4096 * 4096;
  char *data = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (data == MAP_FAILED) return real_posix_memalign(out, alignment, size);
  memset(data + size, PATTERN, CANARY);
  struct block *b = malloc(sizeof *b);
  b->data = data; b->size = size; b->mapped = mapped;
  pthread_mutex_lock(&lock);
  b->next = buckets[bucket(data)];
  buckets[bucket(data)] = b;
  pthread_mutex_unlock(&lock);
  *out = data;
  return 0;
}

void free(void *p) {
  if (!real_free) start();
  if (p && ((size_t)p & 4095) == 0) { // every block of ours starts a page
    pthread_mutex_lock(&lock);
    for (struct block **at = &buckets[bucket(p)]; *at; at = &(*at)->next) {
      if ((*at)->data != p) continue;
      struct block *b = *at;
      *at = b->next;
      pthread_mutex_unlock(&lock);
      int reach = 0;
      for (int i = 0; i < CANARY; i++) if ((unsigned char)b->data[b->size + i] != PATTERN) reach = i + 1;
      if (reach) {
        char line[128];
        snprintf(line, sizeof line, "OVERRUN: a block of %zu bytes was written up to %d bytes past its end\n", b->size, reach);
        report(line);
      }
      munmap(b->data, b->mapped);
      real_free(b);
      return;
    }
    pthread_mutex_unlock(&lock);
  }
  real_free(p);
}
