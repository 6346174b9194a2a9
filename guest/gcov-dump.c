// SPDX-License-Identifier: GPL-2.0
/*
 * The init of the coverage guest. The kernel (CONFIG_GCOV_KERNEL) has run
 * its KUnit suites during boot; this prints the gcov data of one object,
 * read from debugfs, to the console in hex, and powers the guest off.
 * scripts/coverage.sh turns the lines back into the .gcda file.
 *
 * Output:  gcov: file <path> <bytes>
 *          gcov: <up to 32 bytes in hex>      (as many lines as needed)
 *          gcov: end
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#define WANT	"/arch/s390/mm/ipte_batch.gcda"

static char found[4096];
static unsigned char data[1 << 20];

static int visit(const char *path, const struct stat *sb, int type,
		 struct FTW *ftw)
{
	size_t n = strlen(path), w = strlen(WANT);

	if (type != FTW_F || n < w || strcmp(path + n - w, WANT))
		return 0;
	snprintf(found, sizeof(found), "%s", path);
	return 1;
}

static void dump(void)
{
	size_t len = 0, i;
	ssize_t r;
	int fd;

	mkdir("/sys", 0755);
	if (mount("sysfs", "/sys", "sysfs", 0, NULL) ||
	    mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL)) {
		printf("gcov: cannot mount sysfs and debugfs\n");
		return;
	}
	nftw("/sys/kernel/debug/gcov", visit, 16, FTW_PHYS);
	if (!found[0]) {
		printf("gcov: no %s under /sys/kernel/debug/gcov\n", WANT);
		return;
	}
	fd = open(found, O_RDONLY);
	if (fd < 0) {
		printf("gcov: cannot open %s\n", found);
		return;
	}
	while (len < sizeof(data) &&
	       (r = read(fd, data + len, sizeof(data) - len)) > 0)
		len += r;
	close(fd);
	printf("gcov: file %s %zu\n", found, len);
	for (i = 0; i < len; i++) {
		if (i % 32 == 0)
			printf("%sgcov: ", i ? "\n" : "");
		printf("%02x", data[i]);
	}
	printf("\ngcov: end\n");
}

int main(void)
{
	dump();
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
